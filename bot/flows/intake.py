"""The intake conversation: who the person is, what they can do, what they look for.

The script below is the conversation, top to bottom. It follows the variables Italian public
employment services use (Garanzia Giovani, GOL), so the desk's annual report can count the
same groups. No question asks for health data.
"""

from __future__ import annotations

from bot.content import Content, Sector
from bot.domain import JSON, IntakeStats, Option
from bot.flows.base import BACK, DONE, HUMAN, SKIP, Said, Turn, please_choose
from bot.flows.questions import Choice, FreeText, MultiChoice, Question, describe_answer
from bot.flows.state import QuestionStepName, question_step
from bot.i18n import N_

NAME = FreeText(
    "name",
    N_("Name"),
    N_("What should we call you? Your first name is enough."),
    max_length=40,
)
RESIDENCE = Choice(
    "residence",
    N_("Where you live"),
    N_("Where do you live?"),
    (
        ("lucca", N_("In the Comune di Lucca")),
        ("province", N_("Elsewhere in the province of Lucca")),
        ("elsewhere", N_("Somewhere else")),
    ),
)
AGE_BAND = Choice(
    "age_band",
    N_("Age"),
    N_("How old are you?"),
    (
        ("u18", N_("Under 18")),
        ("18_29", N_("18 to 29")),
        ("30_39", N_("30 to 39")),
        ("40_49", N_("40 to 49")),
        ("50_54", N_("50 to 54")),
        ("55_plus", N_("55 or over")),
    ),
)
GENDER = Choice(
    "gender",
    N_("Gender"),
    N_("You are… (you may skip this question)"),
    (("female", N_("A woman")), ("male", N_("A man")), ("other", N_("Other"))),
    optional=True,
)
CITIZENSHIP = Choice(
    "citizenship",
    N_("Citizenship"),
    N_("What is your citizenship? (you may skip this question)"),
    (
        ("it", N_("Italian")),
        ("eu", N_("Another EU country")),
        ("non_eu", N_("A country outside the EU")),
    ),
    optional=True,
)
STATUS = Choice(
    "status",
    N_("Work situation"),
    N_("What is your work situation today?"),
    (
        ("unemployed", N_("Unemployed (I have worked before)")),
        ("never_employed", N_("Looking for my first job")),
        ("employed", N_("Employed, looking for a change")),
        ("crisis", N_("My company is in crisis")),
        ("student", N_("Student")),
        ("self_employed", N_("Self-employed")),
    ),
)
JOBLESS = ("unemployed", "never_employed")
DURATION = Choice(
    "duration",
    N_("Looking for work for"),
    N_("How long have you been looking for work?"),
    (
        ("lt6", N_("Less than 6 months")),
        ("6_12", N_("6 to 12 months")),
        ("gt12", N_("More than 12 months")),
    ),
)
CPI = Choice(
    "cpi",
    N_("Centro per l'Impiego"),
    N_(
        "Are you registered at the Centro per l'Impiego "
        "(you signed the declaration of availability, DID)?"
    ),
    (("yes", N_("Yes")), ("no", N_("No")), ("unsure", N_("I don't know"))),
)
EDUCATION = Choice(
    "education",
    N_("Education"),
    N_("What is the highest school qualification you have?"),
    (
        ("none", N_("None, or primary school")),
        ("lower_secondary", N_("Middle school (licenza media)")),
        ("vocational", N_("Vocational qualification")),
        ("upper_secondary", N_("Secondary school diploma")),
        ("degree", N_("University degree")),
        ("foreign", N_("A qualification from abroad")),
    ),
)
GOAL = Choice(
    "goal",
    N_("Looking for"),
    N_("What are you looking for?"),
    (
        ("employee", N_("A job as an employee")),
        ("business", N_("Starting my own business")),
        ("crisis", N_("Help: my company is in crisis")),
        ("guidance", N_("Guidance or training")),
    ),
)
MAX_SECTORS = 3
ITALIAN = Choice(
    "italian",
    N_("Italian language"),
    N_("How well do you speak Italian?"),
    (
        ("native", N_("It is my mother tongue")),
        ("good", N_("Well")),
        ("basic", N_("A little")),
        ("learning", N_("I am just starting to learn it")),
    ),
)
LANGUAGES = MultiChoice(
    "languages",
    N_("Other languages"),
    N_("Which other languages do you speak well enough for work? Tick them, then tap Done."),
    (
        # Not plain "English": that msgid is the language picker's endonym, the same in
        # every catalog, while here it is the language's name in the person's language.
        ("en", N_("English (language)")),
        ("fr", N_("French")),
        ("es", N_("Spanish")),
        ("de", N_("German")),
        ("ro", N_("Romanian")),
        ("sq", N_("Albanian")),
        ("ar", N_("Arabic")),
        ("uk", N_("Ukrainian")),
        ("zh", N_("Chinese")),
        ("other", N_("Another language")),
    ),
)
TRANSPORT = Choice(
    "transport",
    N_("Driving licence"),
    N_("Do you have a driving licence?"),
    (
        ("licence_car", N_("Yes, and my own car")),
        ("licence", N_("Yes, but no car")),
        ("none", N_("No")),
    ),
)
AVAILABILITY = MultiChoice(
    "availability",
    N_("Availability"),
    N_("When could you work? Tick everything that suits you, then tap Done."),
    (
        ("full_time", N_("Full time")),
        ("part_time", N_("Part time")),
        ("shifts", N_("Shifts")),
        ("weekends", N_("Weekends")),
    ),
    min_selected=1,
)
EXPERIENCE = FreeText(
    "experience",
    N_("Experience"),
    N_(
        "In a few words, what work have you done? (at most 500 characters; "
        "please do not write anything about your health)"
    ),
    max_length=500,
    optional=True,
)
EXPECTATIONS = FreeText(
    "expectations",
    N_("From the meeting"),
    N_(
        "What do you expect from the meeting, and what difficulties have you met looking for "
        "work? (at most 500 characters)"
    ),
    max_length=500,
    optional=True,
)
SUPPORT = Choice(
    "support",
    N_("Something the operator should know"),
    N_(
        "Is there anything the operator should know to help you? Just answer yes or no: "
        "please do not write details here, the operator will ask you privately on the call."
    ),
    (("yes", N_("Yes")), ("no", N_("No"))),
)


def sectors_question(content: Content) -> MultiChoice:
    return MultiChoice(
        "sectors",
        N_("Sectors"),
        N_("Which sectors interest you? Tick up to 3, then tap Done."),
        tuple((s.id, s.label) for s in content.sectors),
        min_selected=1,
        max_selected=MAX_SECTORS,
    )


def skills_question(sector: Sector) -> MultiChoice:
    return MultiChoice(
        f"skills.{sector.id}",
        sector.label,
        N_("%(sector)s: what can you do? Tick everything you know how to do, then tap Done."),
        tuple((k.id, k.label) for k in sector.skills),
        prompt_args=(("sector", sector.label),),
    )


def script(answers: dict[str, JSON], content: Content) -> list[Question]:
    """The questions, in order, for what the person has answered so far."""
    questions: list[Question] = [NAME, RESIDENCE, AGE_BAND, GENDER, CITIZENSHIP, STATUS]
    if answers.get("status") in JOBLESS:
        questions.append(DURATION)
    questions += [CPI, EDUCATION, GOAL, sectors_question(content)]
    for sector_id in answers.get("sectors") or []:
        sector = content.sector(sector_id)
        if sector is not None:
            questions.append(skills_question(sector))
    questions += [ITALIAN, LANGUAGES, TRANSPORT, AVAILABILITY, EXPERIENCE, EXPECTATIONS, SUPPORT]
    return questions


def most_questions(answers: dict[str, JSON], content: Content) -> int:
    """How many questions the script can still come to: undecided branches count at their
    longest, so the "n/total" shown never grows as the person answers (it may shrink)."""
    undecided = 0
    if "status" not in answers:
        undecided += 1  # the unemployment duration
    if "sectors" not in answers:
        undecided += MAX_SECTORS  # one skills question per sector
    return len(script(answers, content)) + undecided


def find_question(question_id: str, content: Content) -> Question | None:
    if question_id == "sectors":
        return sectors_question(content)
    if question_id.startswith("skills."):
        sector = content.sector(question_id.removeprefix("skills."))
        return skills_question(sector) if sector else None
    fixed = (NAME, RESIDENCE, AGE_BAND, GENDER, CITIZENSHIP, STATUS, DURATION, CPI, EDUCATION)
    rest = (GOAL, ITALIAN, LANGUAGES, TRANSPORT, AVAILABILITY, EXPERIENCE, EXPECTATIONS, SUPPORT)
    return next((q for q in (*fixed, *rest) if q.id == question_id), None)


def step_name(question: Question) -> QuestionStepName:
    return question_step(question.id)


# -- moving through the script ------------------------------------------------------------


ANNOUNCEMENTS = "announcements"


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
    await turn.tx.answers.save(turn.person.id, question.id, value, turn.now)
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
                    tr.tr(
                        N_("You can tick at most %(n)d: untick one first."), n=question.max_selected
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
    news = await turn.tx.consents.latest(turn.person.id, ANNOUNCEMENTS)
    wanted = tr.tr(N_("Yes")) if news and news.granted else tr.tr(N_("No"))
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
    current = {q.id for q in script(turn.answers, turn.content)}
    stale = [k for k in turn.answers if k not in current]
    await turn.tx.answers.delete(turn.person.id, stale)
    for key in stale:
        del turn.answers[key]
    first_time = turn.person.intake_confirmed_at is None
    await turn.tx.people.confirm_intake(turn.person.id, turn.now)
    turn.person.intake_confirmed_at = turn.now
    if first_time:
        await turn.tx.stats.add_intake(anonymous_stats(turn))
    name = turn.answers.get("name")
    turn.say(
        turn.tr.tr(
            N_("Thank you, %(name)s! Your answers are saved."),
            name=name if isinstance(name, str) else "",
        )
    )
    await turn.go("booking")


def anonymous_stats(turn: Turn) -> IntakeStats:
    def get(key: str) -> str | None:
        value = turn.answers.get(key)
        return value if isinstance(value, str) else None

    return IntakeStats(
        month=turn.now.strftime("%Y-%m"),
        channel=turn.channel.value,
        residence=get("residence"),
        age_band=get("age_band"),
        gender=get("gender"),
        citizenship=get("citizenship"),
        status=get("status"),
        duration=get("duration"),
        education=get("education"),
        goal=get("goal"),
    )
