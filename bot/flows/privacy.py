"""Privacy in the chat: the information notice, a refusal, "show my data", erasure, opt-in.

The service rests on the municipality's public task, not on consent, but nothing is asked
before the person has had the notice; declining stores only the refusal. Announcements are a
separate opt-in the person can revoke at any time.
"""

from __future__ import annotations

from bot.capabilities import people
from bot.capabilities.people import ConsentKind, PersonalData
from bot.domain import BookingStatus, Consent, Option, RegistrationStatus
from bot.flows import commands, intake
from bot.flows.base import BACK, HUMAN, Said, Turn, please_choose
from bot.flows.intake_questions import script
from bot.flows.operators import NEXT_STEPS
from bot.flows.options import normalize
from bot.flows.path_labels import path_lines
from bot.flows.questions import describe_answer
from bot.flows.welcome import desk_contacts
from bot.i18n import N_
from bot.languages import LANGUAGES, endonym

CHANNEL_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp", "console": N_("Console")}


def full_notice(turn: Turn) -> str:
    return turn.content.notice.text(turn.tr.language)


class NoticeStep:
    name = "notice"
    ACCEPT = "notice.accept"
    READ = "notice.read"
    REFUSE = "notice.refuse"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.ACCEPT, tr(N_("✅ I accept"))),
            Option(self.READ, tr(N_("📄 Read it all"))),
            Option(self.REFUSE, tr(N_("❌ No"))),
        )

    async def ask(self, turn: Turn) -> None:
        text = turn.tr.tr(
            N_(
                "🔒 Before we start: the Comune di Lucca uses your answers only to organise "
                "your meeting with the job desk and, without your name, for statistics. "
                "We never ask about your health. You can see or delete your data at any time "
                "with %(mydata)s and %(erase)s."
            ),
            **commands.named(turn.tr.language),
        )
        turn.say(text, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        version = turn.content.notice.version
        if said.option == self.READ:
            turn.say(full_notice(turn))
            await turn.ask_again()
        elif said.option == self.ACCEPT:
            await people.record_notice(turn.tx, turn.person.id, version, True, turn.now)
            turn.say(
                turn.tr.tr(
                    N_(
                        "Thank you! It takes about 5 minutes. You can go back with ⬅️ at any "
                        "time, and skip the questions you prefer not to answer."
                    )
                )
            )
            workshop = turn.data.pop("after_notice", None)
            if isinstance(workshop, str):
                await turn.go("ws_card", workshop=workshop)
            else:
                await intake.ask_next(turn)
        elif said.option == self.REFUSE:
            await people.record_notice(turn.tx, turn.person.id, version, False, turn.now)
            await turn.go("refused")
        else:
            please_choose(turn)
            await turn.ask_again()


class RefusedStep:
    name = "refused"
    AGAIN = "refused.again"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        return (Option(self.AGAIN, turn.tr.tr(N_("📄 See the notice again"))),)

    async def ask(self, turn: Turn) -> None:
        text = turn.tr.tr(
            N_(
                "All right. We have stored none of your answers, only that you declined the "
                "notice. You can still contact the desk directly."
            )
        )
        turn.say(f"{text}\n\n{desk_contacts(turn)}", await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == self.AGAIN:
            await turn.go("notice")
        else:
            await turn.ask_again()


async def my_data(turn: Turn) -> str:
    """Everything stored about the person, in plain words."""
    data = await people.my_data(turn.tx, turn.person.id)
    assert data is not None  # the person of this very turn
    tr = turn.tr
    lines = [tr.tr(N_("This is everything we store about you:")), ""]
    lines += about_lines(turn, data)
    lines += [consent_line(turn, consent) for consent in data.consents]
    lines += answer_lines(turn, data)
    lines += appointment_lines(turn, data)
    lines += workshop_lines(turn, data)
    lines += path_lines(turn.tr, data)
    lines += ["", tr.tr(N_("To delete all of it, write %(erase)s."), **commands.named(tr.language))]
    return "\n".join(lines)


def about_lines(turn: Turn, data: PersonalData) -> list[str]:
    tr, person = turn.tr, data.person
    language = endonym(person.language) or tr.tr(N_("not chosen yet"))
    lines = [tr.tr(N_("• Language: %(language)s"), language=language)]
    for identity in data.identities:
        channel = CHANNEL_NAMES.get(identity.channel.value, identity.channel.value)
        lines.append(
            tr.tr(
                N_("• %(channel)s account %(id)s, since %(date)s"),
                channel=tr.tr(channel),
                id=identity.external_id,
                date=tr.day(identity.created_at),
            )
        )
    if person.source:
        lines.append(tr.tr(N_("• You came from the link: %(source)s"), source=person.source))
    return lines


def consent_line(turn: Turn, consent: Consent) -> str:
    if consent.kind == ConsentKind.NOTICE:
        message = N_("• Privacy notice (version %(version)s) accepted on %(when)s")
        if not consent.granted:
            message = N_("• Privacy notice (version %(version)s) declined on %(when)s")
    elif consent.kind == ConsentKind.FOLLOWUP:
        message = N_("• Questions on how work is going: yes, since %(when)s")
        if not consent.granted:
            message = N_("• Questions on how work is going: no, since %(when)s")
    else:
        message = N_("• Workshop and job news: yes, since %(when)s")
        if not consent.granted:
            message = N_("• Workshop and job news: no, since %(when)s")
    return turn.tr.tr(message, version=consent.version, when=turn.tr.moment(consent.at))


def answer_lines(turn: Turn, data: PersonalData) -> list[str]:
    tr, answers = turn.tr, data.answers
    lines = [
        f"• {tr.tr(q.title)}: {describe_answer(q, answers[q.id], tr, turn.content)}"
        for q in script(answers, turn.content)
        if q.id in answers
    ]
    confirmed = data.person.intake_confirmed_at
    if confirmed:
        lines.append(tr.tr(N_("• Answers confirmed on %(date)s"), date=tr.day(confirmed)))
    return lines


APPOINTMENT_STATES = {
    BookingStatus.HELD: N_("• Appointment on %(when)s: offered to you from the waiting list"),
    BookingStatus.BOOKED: N_("• Appointment on %(when)s: booked"),
    BookingStatus.CANCELLED: N_("• Appointment on %(when)s: cancelled"),
    BookingStatus.EXPIRED: N_("• Appointment on %(when)s: offered, not taken"),
    BookingStatus.ATTENDED: N_("• Appointment on %(when)s: you attended"),
    BookingStatus.NO_SHOW: N_("• Appointment on %(when)s: you did not come"),
}


def appointment_lines(turn: Turn, data: PersonalData) -> list[str]:
    tr = turn.tr
    lines = []
    for record in data.appointments:
        when = tr.appointment(record.starts_at)
        lines.append(tr.tr(APPOINTMENT_STATES[record.status], when=when))
        if record.confirmed_at:
            lines.append(
                tr.tr(N_("  you confirmed it on %(date)s"), date=tr.day(record.confirmed_at))
            )
        if record.next_step:
            step = tr.tr(NEXT_STEPS[record.next_step])
            lines.append(tr.tr(N_("  next step agreed: %(step)s"), step=step))
        if record.satisfaction:
            stars = "⭐" * record.satisfaction
            lines.append(tr.tr(N_("  your rating of the meeting: %(stars)s"), stars=stars))
    if data.on_waitlist:
        lines.append(tr.tr(N_("• On the waiting list for an appointment")))
    return lines


WORKSHOP_STATES = {
    RegistrationStatus.REGISTERED: N_("• Workshop “%(title)s”, %(when)s: you have a seat"),
    RegistrationStatus.WAITING: N_("• Workshop “%(title)s”, %(when)s: on the waiting list"),
    RegistrationStatus.DECLINED: N_("• Workshop “%(title)s”, %(when)s: you said you can't come"),
    RegistrationStatus.CANCELLED: N_("• Workshop “%(title)s”, %(when)s: you gave your seat back"),
    RegistrationStatus.ATTENDED: N_("• Workshop “%(title)s”, %(when)s: you attended"),
    RegistrationStatus.ABSENT: N_("• Workshop “%(title)s”, %(when)s: you did not come"),
}


def workshop_lines(turn: Turn, data: PersonalData) -> list[str]:
    tr = turn.tr
    return [
        tr.tr(
            WORKSHOP_STATES[place.registration.status],
            title=place.workshop.title,
            when=tr.appointment(place.workshop.starts_at),
        )
        for place in data.workshops
    ]


class EraseConfirmStep:
    name = "erase_confirm"
    YES = "erase.yes"
    NO = "erase.no"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.YES, tr(N_("🗑️ Yes, delete everything"))),
            Option(self.NO, tr(N_("No, keep my data"))),
        )

    async def ask(self, turn: Turn) -> None:
        text = turn.tr.tr(
            N_(
                "Do you want to delete all your data? This cannot be undone. Your appointments "
                "are cancelled. What stays has no link to you: the record of your appointments "
                "(day, time, operator, outcome), kept 24 months, and anonymous counts (month, "
                "age band, work situation, what you were looking for) for the desk's annual "
                "report."
            )
        )
        turn.say(text, await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == self.YES:
            await people.erase(turn.tx, turn.settings.agenda, turn.person.id, turn.now)
            turn.erased = True  # the engine folds the log once the turn has committed
            turn.say(
                turn.tr.tr(
                    N_(
                        "Done: your data have been deleted. If you write to me again, we will "
                        "start from the beginning. Good luck! 🍀"
                    )
                )
            )
        elif said.option == self.NO:
            turn.say(turn.tr.tr(N_("All right, nothing has been deleted.")))
            await turn.resume()
        else:
            please_choose(turn)
            await turn.ask_again()


async def set_announcements(turn: Turn, wanted: bool) -> None:
    version = turn.content.notice.version
    await people.set_announcements(turn.tx, turn.person.id, version, wanted, turn.now)


class AnnouncementsStep:
    name = "announcements"
    YES = "news.yes"
    NO = "news.no"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(self.YES, tr(N_("🔔 Yes, send me news"))),
            Option(self.NO, tr(N_("🔕 No, thank you"))),
            Option(BACK, tr(N_("⬅️ Back"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        state = (
            N_("You are receiving them now.")
            if await people.announcements_wanted(turn.tx, turn.person.id)
            else N_("You are not receiving them now.")
        )
        text = turn.tr.tr(
            N_(
                "Would you like to receive news about the desk's workshops and job "
                "opportunities? It is optional, and you can change your mind at any time "
                "with %(news)s."
            ),
            **commands.named(turn.tr.language),
        )
        turn.say(f"{text} {turn.tr.tr(state)}", await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option not in (self.YES, self.NO):
            please_choose(turn)
            await turn.ask_again()
            return
        wanted = said.option == self.YES
        await set_announcements(turn, wanted)
        turn.say(
            turn.tr.tr(N_("Thank you: you will receive the news."))
            if wanted
            else turn.tr.tr(N_("All right: you will not receive the news."))
        )
        if "return_to" in turn.data:
            await turn.resume()
        else:
            await intake.ask_next(turn)


# Whole-message keywords people use to stop or restart messages (WhatsApp users expect them):
# every language's, as the notice and the replies name the Italian ones to everyone.
STOP_WORDS = frozenset(normalize(w) for lang in LANGUAGES.values() for w in lang.stop)
START_WORDS = frozenset(normalize(w) for lang in LANGUAGES.values() for w in lang.start)


async def opt_keyword(turn: Turn, text: str) -> bool:
    """STOP / BASTA / ANNULLA turn announcements off, START / RIPRENDI back on. Only a message
    that is just the keyword, and only where no option of the question has those words."""
    word = normalize(text)
    if word not in STOP_WORDS | START_WORDS:
        return False
    if not await people.notice_accepted(turn.tx, turn.person.id):
        return False
    wanted = word in START_WORDS
    await set_announcements(turn, wanted)
    turn.say(
        turn.tr.tr(N_("Done: you will receive workshop and job news again."))
        if wanted
        else turn.tr.tr(
            N_(
                "Done: you will not receive workshop and job news any more. To receive them "
                "again, write START or RIPRENDI."
            )
        )
    )
    await turn.ask_again()
    return True
