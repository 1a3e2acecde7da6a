"""Matching a job profile with people: a plain rule the operator controls.

The operator picks which of the profile's essential skills and conditions to require; the
result is everyone who meets them, in person-id order: no score, no ranking, no cut. Each
person comes with the required skills they have, the desirable ones they have, and what they
lack, with the workshops that teach it. The answers read are the skills questions and the
questions the conditions name (`ConditionKind`) and nothing else: who a person is (age,
gender, citizenship) and whether the operator should know something are never inputs
(tests/test_matching.py checks both the behaviour and this module's text)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.capabilities.companies import accepted
from bot.domain import JSON
from bot.placement import ConditionKind, ProfileState
from storage.company_repos import JobProfile, Teaching
from storage.matching_repos import Condition, Contains, OneOf
from storage.session import Session

SKILLS_PREFIX = "skills."


@dataclass(frozen=True)
class Requirement:
    """What the operator requires of a profile: a subset of its essentials and conditions."""

    skills: tuple[str, ...]
    conditions: Mapping[ConditionKind, tuple[str, ...]]


@dataclass(frozen=True)
class Gap:
    skill_id: str
    workshops: tuple[Teaching, ...]  # upcoming workshops that teach it; may be empty


@dataclass(frozen=True)
class Candidate:
    person_id: int
    required: tuple[str, ...]  # the required skills (they have them all)
    desirable: tuple[str, ...]  # the desirable skills they have
    lacking: tuple[Gap, ...]  # essentials not required and desirables they do not have


@dataclass(frozen=True)
class MatchResult:
    profile: JobProfile
    requirement: Requirement
    candidates: list[Candidate]


def question_of(skill_id: str) -> str:
    """The intake question that asks about a skill: one per sector."""
    return SKILLS_PREFIX + skill_id.split(".", 1)[0]


def everything(profile: JobProfile) -> Requirement:
    """The default: every essential skill and every condition."""
    return Requirement(profile.essential, dict(profile.conditions))


def chosen(profile: JobProfile, skills: Iterable[str], kinds: Iterable[str]) -> Requirement:
    """The operator's choice from a form: what is not the profile's own is ignored."""
    wanted, kept = set(skills), set(kinds)
    return Requirement(
        tuple(s for s in profile.essential if s in wanted),
        {k: v for k, v in profile.conditions.items() if k.value in kept},
    )


def _skills(answers: Mapping[str, JSON]) -> set[str]:
    found: set[str] = set()
    for question, value in answers.items():
        if question.startswith(SKILLS_PREFIX) and isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
    return found


def meets(answers: Mapping[str, JSON], requirement: Requirement) -> bool:
    """The rule itself, on a person's answers to the questions `questions` names."""
    return _meets(answers, _skills(answers), requirement)


def _meets(answers: Mapping[str, JSON], has: set[str], requirement: Requirement) -> bool:
    if not has.issuperset(requirement.skills):
        return False
    for kind, values in requirement.conditions.items():
        answer = answers.get(kind.value)
        if kind is ConditionKind.AVAILABILITY:
            if not isinstance(answer, list) or not set(values) <= set(answer):
                return False
        elif answer not in accepted(kind, values):
            return False
    return True


def _conditions(requirement: Requirement) -> list[Condition]:
    """The rule as the query's prefilter (the index does the work; `meets` has the say)."""
    found: list[Condition] = [Contains(question_of(s), s) for s in requirement.skills]
    for kind, values in requirement.conditions.items():
        if kind is ConditionKind.AVAILABILITY:
            found += [Contains(kind.value, v) for v in values]
        else:
            found.append(OneOf(kind.value, accepted(kind, values)))
    return found


def questions(
    profiles: Sequence[JobProfile], kinds: Iterable[ConditionKind] = tuple(ConditionKind)
) -> list[str]:
    """The only questions matching reads: the profiles' skills questions, and the
    conditions' questions."""
    skills = {question_of(s) for p in profiles for s in (*p.essential, *p.desirable)}
    return sorted(skills) + [k.value for k in ConditionKind if k in set(kinds)]


async def match(
    tx: Session, profile: JobProfile, requirement: Requirement, now: datetime
) -> MatchResult:
    shown = questions([profile], requirement.conditions)
    rows = await tx.matching.meeting(_conditions(requirement), shown)
    others = [s for s in (*profile.essential, *profile.desirable) if s not in requirement.skills]
    teaching = await tx.workshop_skills.teaching(others, now)
    gaps = {s: Gap(s, tuple(teaching.get(s, ()))) for s in others}
    candidates = []
    for person_id, answers in rows:
        has = _skills(answers)
        if not _meets(answers, has, requirement):
            continue
        candidates.append(
            Candidate(
                person_id,
                requirement.skills,
                tuple(s for s in profile.desirable if s in has),
                tuple(gaps[s] for s in others if s not in has),
            )
        )
    return MatchResult(profile, requirement, candidates)


async def match_code(tx: Session, code: str, now: datetime) -> MatchResult | None:
    """`sportello match CODE`: the profile's default requirement; None for an unknown code."""
    profile = await tx.job_profiles.by_code(code.strip().lower())
    if profile is None:
        return None
    return await match(tx, profile, everything(profile), now)


@dataclass(frozen=True)
class Met:
    profile: JobProfile
    company_name: str


async def profiles_met(tx: Session, person_id: int) -> list[Met]:
    """The reverse view: the open profiles whose essentials and conditions the person meets."""
    person = await tx.people.get(person_id)
    if person is None or person.intake_confirmed_at is None:
        return []
    profiles = await tx.job_profiles.in_state(ProfileState.OPEN)
    answers = await tx.matching.answers_of(person_id, questions(profiles))
    found = []
    for p in profiles:
        if meets(answers, everything(p)):
            company = await tx.companies.get(p.company_id)
            found.append(Met(p, company.name if company else ""))
    return found
