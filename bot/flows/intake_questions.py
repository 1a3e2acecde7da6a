"""The intake's questions: who the person is, what they can do, what they look for.

The script below is the conversation, top to bottom (bot/flows/intake.py asks it). It follows the variables Italian public
employment services use (Garanzia Giovani, GOL), so the desk's annual report can count the
same groups. No question asks for health data.
"""

from __future__ import annotations

from bot.content import Content, Sector
from bot.domain import JSON
from bot.flows.questions import Choice, FreeText, MultiChoice, Question
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
