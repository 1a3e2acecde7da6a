"""The intake conversation: each question of the script in turn, then the announcements
opt-in, the summary with "Change an answer", and the confirmation.

The questions themselves, and the script that orders them, are in intake_questions.py.
"""

from __future__ import annotations

from bot.capabilities import intake_answers, people
from bot.capabilities.people import ConsentKind
from bot.domain import JSON, Option
from bot.flows.base import BACK, DONE, HUMAN, SKIP, Said, Turn, please_choose

# Other steps read the script and some questions as intake.X: kept importable from here.
from bot.flows.intake_questions import AGE_BAND as AGE_BAND
from bot.flows.intake_questions import GOAL as GOAL
from bot.flows.intake_questions import LANGUAGES as LANGUAGES
from bot.flows.intake_questions import NAME, most_questions
from bot.flows.intake_questions import find_question as find_question
from bot.flows.intake_questions import script as script
from bot.flows.questions import Choice, FreeText, MultiChoice, Question, describe_answer
from bot.flows.state import QuestionStepName, question_step
from bot.i18n import N_
from bot.languages import is_rtl, isolate


def step_name(question: Question) -> QuestionStepName:
    return question_step(question.id)


# -- moving through the script ------------------------------------------------------------


ANNOUNCEMENTS = ConsentKind.ANNOUNCEMENTS.value


async def ask_next(turn: Turn) -> None:
    """The first question not answered yet, then the announcements opt-in, then the summary."""
    for question in script(turn.answers, turn.content):
        if question.id not in turn.answers:
            await ask_question(turn, question)
            return
    if await turn.tx.consents.latest(turn.person.id, ANNOUNCEMENTS) is None:
        await turn.go("announcements")
        return
    await turn.go("summary")


async def ask_question(turn: Turn, question: Question) -> None:
    previous = turn.answers.get(question.id)
    selected = list(previous) if isinstance(previous, list) else []
    await turn.go(step_name(question), selected=selected)


async def go_back(turn: Turn) -> None:
    """The question before the current one in the script (the last one from the summary)."""
    questions = script(turn.answers, turn.content)
    current = turn.conversation.step.removeprefix("q:")
    ids = [q.id for q in questions]
    index = ids.index(current) if current in ids else len(ids)
    if index == 0:
        turn.say(turn.tr.tr(N_("This is the first question: there is nothing before it.")))
        await turn.ask_again()
        return
    await ask_question(turn, questions[index - 1])


async def save_answer(turn: Turn, question: Question, value: JSON) -> None:
    turn.answers[question.id] = value
    await intake_answers.save_answer(turn.tx, turn.person.id, question.id, value, turn.now)
    await ask_next(turn)


# -- the question step ---------------------------------------------------------------------


def nav_options(turn: Turn, question: Question) -> tuple[Option, ...]:
    tr = turn.tr.tr
    extra = []
    if isinstance(question, MultiChoice):
        extra.append(Option(DONE, tr(N_("✔️ Done"))))
    elif question.optional:
        extra.append(Option(SKIP, tr(N_("Skip"))))
    extra += [Option(BACK, tr(N_("⬅️ Back"))), Option(HUMAN, tr(N_("🙋 Talk to a person")))]
    return tuple(extra)


class QuestionStep:
    def __init__(self, question: Question) -> None:
        self.question = question
        self.name = step_name(question)

    def _suggested_name(self, turn: Turn) -> str | None:
        """The platform's name for the person, offered as a one-tap answer to the name."""
        name = " ".join((turn.profile_name or "").split())
        if self.question is not NAME or not name:
            return None
        if len(name) > NAME.max_length or not any(c.isalpha() for c in name):
            return None
        return name

    def _selected(self, turn: Turn) -> list[str]:
        return [str(v) for v in turn.data.get("selected") or []]

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        choices = self.question.options(turn.tr)
        suggestion = self._suggested_name(turn)
        if suggestion:
            choices = (Option(PROFILE_NAME, suggestion),)
        if isinstance(self.question, MultiChoice):
            ticked = set(self._selected(turn))
            choices = tuple(
                Option(o.id, f"✅ {o.label}" if o.id in ticked else o.label) for o in choices
            )
        return choices + nav_options(turn, self.question)

    def _text(self, turn: Turn) -> str:
        questions = script(turn.answers, turn.content)
        ids = [q.id for q in questions]
        position = ids.index(self.question.id) + 1 if self.question.id in ids else len(ids)
        total = most_questions(turn.answers, turn.content)
        args = {k: turn.tr.tr(v) for k, v in getattr(self.question, "prompt_args", ())}
        prompt = turn.tr.tr(self.question.prompt, **args)
        if is_rtl(turn.tr.language):
            # The message must start with a letter of its script to be laid out right to left.
            return f"{prompt} · {isolate(f'{position}/{total}')}"
        return f"{position}/{total} · {prompt}"

    async def ask(self, turn: Turn) -> None:
        turn.say(self._text(turn), await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        question = self.question
        suggestion = self._suggested_name(turn)
        if said.option == PROFILE_NAME and suggestion:
            await save_answer(turn, question, suggestion)
        elif said.option == SKIP and not isinstance(question, MultiChoice) and question.optional:
            await save_answer(turn, question, None)
        elif isinstance(question, Choice):
            await self._choice(turn, question, said)
        elif isinstance(question, MultiChoice):
            await self._multi(turn, question, said)
        else:
            await self._free_text(turn, question, said)

    async def _choice(self, turn: Turn, question: Choice, said: Said) -> None:
        if said.option in dict(question.choices):
            await save_answer(turn, question, said.option)
            return
        please_choose(turn)
        await turn.ask_again()

    async def _multi(self, turn: Turn, question: MultiChoice, said: Said) -> None:
        tr = turn.tr
        selected = self._selected(turn)
        if said.option == DONE:
            if len(selected) < question.min_selected:
                turn.say(tr.tr(N_("Please tick at least one option, then tap Done.")))
                await turn.ask_again()
                return
            await save_answer(turn, question, selected)
            return
        toggled = [o for o in said.options if o in dict(question.choices)]
        if not toggled:
            turn.say(
                tr.tr(
                    N_(
                        "Tick the options that apply (tap them or write their numbers), then tap Done."
                    )
                )
            )
            await turn.ask_again()
            return
        for option in toggled:
            if option in selected:
                selected.remove(option)
            elif question.max_selected is None or len(selected) < question.max_selected:
                selected.append(option)
            else:
                turn.say(
                    tr.trn(
                        "You can tick only %(n)d: untick it first.",
                        "You can tick at most %(n)d: untick one first.",
                        question.max_selected,
                    )
                )
        turn.data["selected"] = selected
        turn.redraw(self._text(turn), await self.options(turn))

    async def _free_text(self, turn: Turn, question: FreeText, said: Said) -> None:
        tr = turn.tr
        text = " ".join(said.text.split())
        if question is NAME and not any(c.isalpha() for c in text):
            # "3" is an option number typed one question too late, not a name.
            turn.say(tr.tr(N_("Please write your name with letters.")))
            await turn.ask_again()
        elif not any(c.isalnum() for c in text):
            turn.say(tr.tr(N_("I need a few words here (letters or numbers).")))
            await turn.ask_again()
        elif len(text) > question.max_length:
            turn.say(
                tr.tr(
                    N_(
                        "That is %(length)d characters long; the limit is %(limit)d. Could you shorten it?"
                    ),
                    length=len(text),
                    limit=question.max_length,
                )
            )
            await turn.ask_again()
        else:
            await save_answer(turn, question, text)


# -- summary, changes, confirmation --------------------------------------------------------

CONFIRM = "summary.confirm"
PROFILE_NAME = "name.profile"
CHANGE = "summary.change"


async def summary_text(turn: Turn) -> str:
    tr = turn.tr
    lines = [tr.tr(N_("Here is what you told us:")), ""]
    for question in script(turn.answers, turn.content):
        value = describe_answer(question, turn.answers.get(question.id), tr, turn.content)
        lines.append(f"• {tr.tr(question.title)}: {value}")
    news = await people.announcements_wanted(turn.tx, turn.person.id)
    wanted = tr.tr(N_("Yes")) if news else tr.tr(N_("No"))
    news_title = tr.tr(N_("Workshop and job news"))
    lines.append(f"• {news_title}: {wanted}")
    return "\n".join(lines)


class SummaryStep:
    name = "summary"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        return (
            Option(CONFIRM, tr(N_("✅ Confirm"))),
            Option(CHANGE, tr(N_("✏️ Change an answer"))),
            Option(BACK, tr(N_("⬅️ Back"))),
            Option(HUMAN, tr(N_("🙋 Talk to a person"))),
        )

    async def ask(self, turn: Turn) -> None:
        turn.say(await summary_text(turn))
        turn.say(turn.tr.tr(N_("Is everything right?")), await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        if said.option == CONFIRM:
            await confirm_intake(turn)
        elif said.option == CHANGE:
            await turn.go("change")
        else:
            please_choose(turn)
            await turn.ask_again()


class ChangeStep:
    """Pick the answer to change; after it, the conversation comes back to the summary."""

    name = "change"

    async def options(self, turn: Turn) -> tuple[Option, ...]:
        tr = turn.tr.tr
        questions = script(turn.answers, turn.content)
        edits = tuple(Option(f"edit.{q.id}", tr(q.title)) for q in questions)
        news = Option("edit.announcements", tr(N_("Workshop and job news")))
        return (*edits, news, Option(BACK, tr(N_("⬅️ Back"))))

    async def ask(self, turn: Turn) -> None:
        turn.say(turn.tr.tr(N_("Which answer do you want to change?")), await self.options(turn))

    async def answer(self, turn: Turn, said: Said) -> None:
        question_id = (said.option or "").removeprefix("edit.")
        if question_id == ANNOUNCEMENTS:
            await turn.go("announcements")
            return
        question = find_question(question_id, turn.content) if said.option else None
        if question is None:
            please_choose(turn)
            await turn.ask_again()
            return
        await ask_question(turn, question)


async def confirm_intake(turn: Turn) -> None:
    current = [q.id for q in script(turn.answers, turn.content)]
    confirmed = await intake_answers.confirm_intake(
        turn.tx, turn.person, turn.answers, current, turn.channel, turn.now
    )
    for key in confirmed.dropped:
        del turn.answers[key]
    turn.person.intake_confirmed_at = turn.now
    name = turn.answers.get("name")
    turn.say(
        turn.tr.tr(
            N_("Thank you, %(name)s! Your answers are saved."),
            name=name if isinstance(name, str) else "",
        )
    )
    await turn.go("booking")
