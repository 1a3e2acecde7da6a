"""How a person's path, follow-up answers and proposals are said, in the chat's "my data" and
in the back-office: one set of labels for both."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from bot.capabilities.people import PersonalData
from bot.flows import commands
from bot.i18n import N_, Translator
from bot.placement import ContractType, InternshipEnd, PathStepKind, ProposalAnswer, WorkStatus
from storage.path_repos import FollowUpAnswer, PathStep, Proposal

STEP_KINDS = {
    PathStepKind.CPI_REFERRAL: N_("Referral to the Centro per l'Impiego"),
    PathStepKind.TRAINING: N_("Training"),
    PathStepKind.INTERNSHIP: N_("Internship (tirocinio)"),
    PathStepKind.HIRE: N_("Hired"),
    PathStepKind.SELF_EMPLOYMENT: N_("Self-employment started"),
}

CONTRACTS = {
    ContractType.PERMANENT: N_("permanent"),
    ContractType.FIXED_12: N_("fixed-term, 12 months or more"),
    ContractType.FIXED_6_12: N_("fixed-term, 6 to 12 months"),
    ContractType.FIXED_UNDER_6: N_("fixed-term, under 6 months"),
    ContractType.APPRENTICESHIP: N_("apprenticeship"),
}

INTERNSHIP_ENDS = {
    InternshipEnd.TERM_REACHED: N_("term reached"),
    InternshipEnd.BY_PERSON: N_("ended by the person"),
    InternshipEnd.BY_COMPANY: N_("ended by the company"),
    InternshipEnd.HIRED: N_("hired"),
}

WORK_STATUSES = {
    WorkStatus.EMPLOYED: N_("working as an employee"),
    WorkStatus.SELF_EMPLOYED: N_("self-employed"),
    WorkStatus.NOT_WORKING: N_("not working"),
}

PROPOSAL_ANSWERS = {
    None: N_("no answer yet"),
    ProposalAnswer.INTERESTED: N_("interested"),
    ProposalAnswer.NOT_INTERESTED: N_("not interested"),
    ProposalAnswer.OBJECTED: N_("objected"),
}


def on_day(tr: Translator, day: date) -> str:
    return format_date(day, "long", locale=tr.language)


def describe_step(tr: Translator, step: PathStep) -> str:
    """One line: what, where, and the dates."""
    parts = [tr.tr(STEP_KINDS[step.kind])]
    if step.title:
        parts.append(step.title)
    if step.provider:
        parts.append(step.provider)
    if step.company_name:
        parts.append(step.company_name)
    if step.contract:
        parts.append(tr.tr(CONTRACTS[step.contract]))
    parts.append(tr.tr("from %(day)s", day=on_day(tr, step.started_on)))
    if step.planned_end_on and not step.ended_on:
        parts.append(tr.tr("planned to end on %(day)s", day=on_day(tr, step.planned_end_on)))
    if step.ended_on:
        parts.append(tr.tr("ended on %(day)s", day=on_day(tr, step.ended_on)))
    if step.end_reason:
        parts.append(tr.tr(INTERNSHIP_ENDS[step.end_reason]))
    if step.completed is not None:
        parts.append(tr.tr("completed") if step.completed else tr.tr("not completed"))
    if step.qualification:
        parts.append(tr.tr("qualification: %(name)s", name=step.qualification))
    return " · ".join(parts)


def describe_followup(tr: Translator, answer: FollowUpAnswer) -> str:
    parts = [
        tr.trn(
            "After %(months)d month",
            "After %(months)d months",
            answer.months,
            months=answer.months,
        )
    ]
    if answer.working is None:
        parts.append(tr.tr("no answer yet"))
    else:
        parts.append(tr.tr(WORK_STATUSES[answer.working]))
    if answer.contract:
        parts.append(tr.tr(CONTRACTS[answer.contract]))
    if answer.same_company is not None:
        parts.append(
            tr.tr("at the company of the internship")
            if answer.same_company
            else tr.tr("not at the company of the internship")
        )
    return " · ".join(parts)


def describe_proposal(tr: Translator, proposal: Proposal) -> str:
    return tr.tr(
        "“%(title)s” at %(company)s: %(answer)s",
        title=proposal.profile_title,
        company=proposal.company_name,
        answer=tr.tr(PROPOSAL_ANSWERS[proposal.answer]),
    )


def path_lines(tr: Translator, data: PersonalData) -> list[str]:
    """The chat's "my data": the path, the follow-up answers and the proposals."""
    lines = [f"• {describe_step(tr, step)}" for step in data.path]
    lines += [f"• {describe_followup(tr, answer)}" for answer in data.followups]
    lines += [
        "• " + tr.tr("Proposed for %(what)s", what=describe_proposal(tr, p)) for p in data.proposals
    ]
    if data.proposals:
        lines.append(
            tr.tr(
                "  to answer again or object: %(proposals)s",
                **commands.named(tr.language),
            )
        )
    return lines
