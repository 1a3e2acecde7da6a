"""The vocabulary of placement, the third part of the desk's method: companies and their job
profiles, each person's path to work and the proposals made to them. No I/O here; the schema
CHECKs the same values."""

from __future__ import annotations

from enum import StrEnum


class ProfileState(StrEnum):
    """A company's job profile; the schema CHECKs the same values."""

    OPEN = "open"  # the company is looking: matching lists people for it
    FILLED = "filled"
    CLOSED = "closed"


class SkillImportance(StrEnum):
    ESSENTIAL = "essential"
    DESIRABLE = "desirable"


class ConditionKind(StrEnum):
    """A job profile's conditions: named after the intake question each one reads, with that
    question's answer ids as values."""

    AVAILABILITY = "availability"  # hours: every one listed is needed
    TRANSPORT = "transport"  # licence or licence_car: the least needed
    ITALIAN = "italian"  # native, good, basic, learning: the least needed
    RESIDENCE = "residence"  # the residence answers accepted (the area)


# -- A person's path after the meeting (bot/capabilities/paths.py) -----------------------------
#
# The codes are ANPAL's, from the national PES data dictionaries (DB_PLUS, published at
# github.com/AnpalSimo/DB_PLUS2022): DEC_ESITO_AZIONE_PAI (the outcome of an action of the
# personalised plan) and DEC_MOTIVO_CESSAZIONE_TIROCINI (why an internship ended). Where a
# step of ours has no code there, the mapping says None rather than invent one: see
# docs/PATHS.md.


class PathStepKind(StrEnum):
    """A step of a person's path, recorded by an operator (path_steps.kind, CHECKed)."""

    CPI_REFERRAL = "cpi_referral"  # sent to the Centro per l'Impiego: no ANPAL outcome code
    TRAINING = "training"
    INTERNSHIP = "internship"  # tirocinio extracurricolare: ANPAL "TA" (Tirocinio Avviato)
    HIRE = "hire"
    SELF_EMPLOYMENT = "self_employment"  # no code in DEC_ESITO_AZIONE_PAI


class InternshipEnd(StrEnum):
    """Why an internship ended (path_steps.end_reason, CHECKed)."""

    TERM_REACHED = "term_reached"
    BY_PERSON = "by_person"
    BY_COMPANY = "by_company"
    HIRED = "hired"


INTERNSHIP_END_CODES: dict[InternshipEnd, str] = {
    # DEC_MOTIVO_CESSAZIONE_TIROCINI
    InternshipEnd.TERM_REACHED: "FT",  # Termine periodo di tirocinio
    InternshipEnd.BY_PERSON: "FINLAV",  # Termine anticipato per decisione beneficiario
    InternshipEnd.BY_COMPANY: "FINAZI",  # Termine anticipato per decisione dell'azienda
    InternshipEnd.HIRED: "FINASS",  # Termine anticipato per assunzione
}

INTERNSHIP_END_OUTCOMES: dict[InternshipEnd, str] = {
    # The same end as a DEC_ESITO_AZIONE_PAI outcome of the internship action
    InternshipEnd.TERM_REACHED: "AC",  # Attività conclusa
    InternshipEnd.BY_PERSON: "CAI",  # Cessazione anticipata per volontà dell'interessato
    InternshipEnd.BY_COMPANY: "CAA",  # Cessazione anticipata per volontà dell'azienda/ente
    # Cessazione anticipata per attivazione rapporto di lavoro presso stessa azienda (CAS);
    # CAU when another company hired: paths.outcome_code tells them apart by the hire step
    InternshipEnd.HIRED: "CAS",
}


class ContractType(StrEnum):
    """The contract of a hire (path_steps.contract and follow-up answers, CHECKed)."""

    PERMANENT = "permanent"
    FIXED_12 = "fixed_12"  # fixed-term, 12 months or more
    FIXED_6_12 = "fixed_6_12"  # fixed-term, 6 to 12 months
    FIXED_UNDER_6 = "fixed_under_6"
    APPRENTICESHIP = "apprenticeship"


CONTRACT_CODES: dict[ContractType, str | None] = {
    # DEC_ESITO_AZIONE_PAI
    ContractType.PERMANENT: "ACTI",  # rapporto di lavoro a tempo indeterminato
    ContractType.FIXED_12: "ACTD12",  # tempo determinato >= 12 mesi
    ContractType.FIXED_6_12: "ACTD6",  # tempo determinato 6-12 mesi
    # None: the generic hire, ACS (the internship's company) or ACA (another), is used
    ContractType.FIXED_UNDER_6: None,  # no code of its own
    ContractType.APPRENTICESHIP: None,  # ACA1, ACA2, ACA3 by level, which the desk does not ask
}

HIRE_SAME_COMPANY = "ACS"  # hired by the company of the internship
HIRE_OTHER_COMPANY = "ACA"  # hired by another company
TRAINING_COMPLETED = "AC"  # Attività conclusa
INTERNSHIP_STARTED = "TA"  # Tirocinio avviato


class WorkStatus(StrEnum):
    """What a person says at a follow-up (followup_answers.working, CHECKed)."""

    EMPLOYED = "employed"
    SELF_EMPLOYED = "self_employed"
    NOT_WORKING = "not_working"


FOLLOWUP_MONTHS = (3, 6, 12)
"""After the first attended meeting; Garanzia Giovani counts at 1, 3 and 6, GOL at 6 (180 days)."""


class ProposalAnswer(StrEnum):
    """The person's answer to a proposal (proposals.answer, CHECKed)."""

    INTERESTED = "interested"
    NOT_INTERESTED = "not_interested"
    OBJECTED = "objected"  # GDPR art. 21: do not use my data for this
