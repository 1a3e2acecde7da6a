"""The intake conversation, driven as a person would, through the engine."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

from bot import languages
from bot.app import App
from bot.clock import ManualClock
from bot.domain import Channel, Inbound, InboundKind
from bot.flows import intake
from bot.i18n import SHIPPED_LANGUAGES
from tests.booking_helpers import booked_person
from tests.chat import TYPICAL_ANSWERS, Chat, answer_all, complete_intake


async def stored_answers(app: App, who: str) -> dict[str, object]:
    async with app.db.read() as tx:
        person = await tx.people.by_identity(Channel.TELEGRAM, who)
        assert person is not None
        return await tx.answers.all(person.id)


async def test_complete_intake_in_english(app: App, chat: Chat) -> None:
    await complete_intake(chat)
    text = chat.texts()
    assert "Before we start" in text
    assert "Here is what you told us" in text
    assert "• Name: Anna" in text
    assert "• Sectors: Tourism and hospitality, Care services" in text
    assert "• Tourism and hospitality: Table service (waiter)" in text
    assert "• Care services: none" in text
    assert "• From the meeting: (skipped)" in text
    assert "Thank you, Anna! Your answers are saved." in chat.texts()
    assert "Which day suits you?" in chat.question.text
    answers = await stored_answers(app, "anna")
    assert answers["sectors"] == ["tourism", "care"]
    assert answers["availability"] == ["part_time", "weekends"]
    assert answers["expectations"] is None
    async with app.db.read() as tx:
        assert await tx.stats.intake_count() == 1
        person = await tx.people.by_identity(Channel.TELEGRAM, "anna")
        assert person is not None
        assert person.intake_confirmed_at is not None
        news = await tx.consents.latest(person.id, "announcements")
        assert news is not None
        assert news.granted


async def test_complete_intake_in_italian(app: App) -> None:
    chat = Chat(app.engine, "mario", language="it")
    await complete_intake(chat)
    text = chat.texts()
    assert "Prima di iniziare" in text
    assert "• Nome: Anna" in text
    assert "Grazie, Anna!" in chat.texts()


async def test_language_is_asked_when_the_phone_speaks_another(app: App) -> None:
    chat = Chat(app.engine, "li", language="zh")
    await chat.send("hello")
    assert [o.id for o in chat.question.options] == [f"lang.{c}" for c in SHIPPED_LANGUAGES]
    await chat.tap("lang.en")
    assert "I will write to you in English" in chat.texts()
    assert [o.id for o in chat.question.options][:3] == [
        "notice.accept",
        "notice.read",
        "notice.refuse",
    ]


async def test_language_can_change_mid_intake_and_comes_back(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("Anna")
    await chat.send("/lingua")
    await chat.tap("lang.it")
    assert "Fatto: ti scriverò in italiano." in chat.texts()
    assert "Dove abiti?" in chat.question.text
    assert chat.question.text.startswith("2/")


async def test_back_returns_to_the_previous_question_keeping_answers(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("Anna")
    await chat.tap("lucca")
    await chat.tap("nav.back")
    assert chat.question.text.startswith("2/")
    await chat.send("/indietro")
    assert chat.question.text.startswith("1/")
    await chat.send("/indietro")
    assert "first question" in chat.texts()
    await chat.send("Annalisa")
    # Answers after the changed one are kept: the next unanswered question comes.
    assert chat.question.text.startswith("3/")
    assert (await stored_answers(app, "anna"))["name"] == "Annalisa"


async def test_answers_by_number_and_by_words(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.send("1")  # I accept
    await chat.send("Anna")
    await chat.send("elsewhere in the province of lucca")
    await chat.send("3")  # 30 to 39
    answers = await stored_answers(app, "anna")
    assert answers["residence"] == "province"
    assert answers["age_band"] == "30_39"


async def test_multi_select_by_several_numbers_and_limit(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await answer_all(chat, TYPICAL_ANSWERS[:10])
    assert "sectors interest you" in chat.question.text
    await chat.send("1, 2 e 3")
    ticked = [o.label for o in chat.question.options if o.label.startswith("✅")]
    assert len(ticked) == 3
    await chat.send("4")
    assert "at most 3" in chat.texts()
    await chat.tap("multi.done")
    assert "Paper and paper machinery: what can you do?" in chat.question.text


async def test_done_needs_a_tick_where_one_is_required(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await answer_all(chat, TYPICAL_ANSWERS[:10])
    await chat.tap("multi.done")
    assert "tick at least one" in chat.texts()
    assert "sectors interest you" in chat.question.text


async def test_free_text_limit_is_said_and_enforced(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await answer_all(chat, TYPICAL_ANSWERS[:23])
    assert "at most 500 characters" in chat.question.text
    await chat.send("x" * 501)
    assert "501 characters long; the limit is 500" in chat.texts()
    assert "at most 500 characters" in chat.question.text
    await chat.send("y" * 500)
    assert "expect from the meeting" in chat.question.text


async def test_change_an_answer_from_the_summary(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await answer_all(chat)
    await chat.tap("summary.change")
    await chat.tap("edit.sectors")
    await chat.tap("care")  # untick care
    await chat.tap("logistics")
    await chat.tap("multi.done")
    # The new sector's skills are asked, then the summary comes back.
    assert "Logistics and warehouse: what can you do?" in chat.question.text
    await chat.tap("multi.done")
    assert chat.question.text == "Is everything right?"
    await chat.tap("summary.confirm")
    answers = await stored_answers(app, "anna")
    assert answers["sectors"] == ["tourism", "logistics"]
    assert "skills.care" not in answers
    assert answers["skills.logistics"] == []


async def test_coming_back_after_hours_offers_to_continue(
    app: App, chat: Chat, clock: ManualClock
) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("Anna")
    clock.advance(timedelta(days=2))
    await chat.send("hello again")
    assert "Welcome back, Anna!" in chat.question.text
    assert "1 question" in chat.question.text
    await chat.tap("resume.continue")
    assert chat.question.text.startswith("2/")


async def test_restart_clears_answers_before_confirmation(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("Anna")
    await chat.tap("lucca")
    await chat.send("/ricomincia")
    await chat.tap("restart.no")
    assert chat.question.text.startswith("3/")
    await chat.send("/ricomincia")
    await chat.tap("restart.yes")
    assert chat.question.text.startswith("1/")
    assert await stored_answers(app, "anna") == {}


async def test_restart_with_an_appointment_keeps_it_and_changes_answers(app: App) -> None:
    chat = await booked_person(app, "anna")
    before = await stored_answers(app, "anna")
    await chat.send("/restart")
    assert "You have an appointment on" in chat.question.text
    assert "the operator will see the new ones" in chat.question.text
    await chat.tap("restart.yes")
    await chat.tap("edit.name")
    await chat.send("Annalisa")
    assert "• Name: Annalisa" in chat.texts()
    await chat.tap("summary.confirm")
    assert "Your appointment:" in chat.question.text
    assert await stored_answers(app, "anna") == {**before, "name": "Annalisa"}
    # The operator's list has the new answers, never an empty summary.
    today = await app.engine.handle(
        Inbound(Channel.TELEGRAM, "100000002", InboundKind.TEXT, text="/oggi", dedupe_key="op")
    )
    assert "· Annalisa" in today[0].text
    assert "Turismo e ospitalità" in today[0].text


async def test_restart_after_confirmation_can_be_refused(app: App) -> None:
    chat = await booked_person(app, "anna")
    before = await stored_answers(app, "anna")
    await chat.send("/ricomincia")
    await chat.send("no")
    assert "Your appointment:" in chat.question.text
    await chat.send("/start")
    await chat.tap("appt.answers")
    assert "• Name: Anna" in chat.texts()
    assert await stored_answers(app, "anna") == before


async def test_operator_contacts_from_any_question(app: App, chat: Chat) -> None:
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.tap("nav.human")
    assert "sportello.lavoro@example.org" in chat.texts()
    assert chat.question.text.startswith("1/")
    await chat.send("/operatore")
    assert chat.texts().count("+39 0583 000000") == 2


async def test_state_survives_a_restart(app: App, settings: object, clock: ManualClock) -> None:
    from bot.app import build_app
    from bot.settings import Settings

    assert isinstance(settings, Settings)
    chat = Chat(app.engine, "anna")
    await chat.send("/start")
    await chat.tap("notice.accept")
    await chat.send("Anna")
    await chat.tap("lucca")
    seq = chat.question.seq
    await app.db.close()

    second = await build_app(settings, clock)
    try:
        again = Chat(second.engine, "anna")
        again.replies = list(chat.replies)
        await again.press(f"{seq}:30_39")
        assert again.question.text.startswith("4/")
        assert (await stored_answers(second, "anna"))["age_band"] == "30_39"
    finally:
        await second.close()
        app.db = second.db  # the fixture closes it again harmlessly


async def test_the_question_count_never_moves_the_finish_line(chat: Chat) -> None:
    """Branches not decided yet count at their longest: the total may shrink, never grow."""
    await complete_intake(chat)
    counters = [
        (int(m.group(1)), int(m.group(2)))
        for m in (re.match(r"(\d+)/(\d+) · ", r.text) for r in chat.replies)
        if m
    ]
    totals = [total for _position, total in counters]
    assert totals[0] == 21  # unemployment duration and three sectors' skills still possible
    assert all(later <= earlier for earlier, later in itertools.pairwise(totals))
    assert counters[-1][0] == counters[-1][1]  # the last question says so


def test_english_is_inglese_in_the_italian_question_but_english_in_the_picker(app: App) -> None:
    italian = app.engine.translators["it"]
    labels = [o.label for o in intake.LANGUAGES.options(italian)]
    assert "Inglese" in labels
    assert "English" not in labels
    assert languages.endonym("en") == "English"
