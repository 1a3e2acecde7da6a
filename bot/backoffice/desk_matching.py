"""A job profile's page: its skills and conditions, the operator's choice of what to require
(a GET form: the choice is in the address, ids only, so the files match the screen), and
everyone who meets it, by internal number. Opening it is audited as a look at the list."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.responses import Response

from bot.backoffice.desk_auth import DeskRequest
from bot.backoffice.desk_companies import STATE_LABELS, can_edit, missing
from bot.backoffice.desk_export import Listing
from bot.backoffice.desk_pages import export_listing
from bot.backoffice.desk_profiles import NO_PROFILE, PAGE, condition_text, skill_name
from bot.capabilities import accounts, matching
from bot.capabilities import companies as co
from bot.i18n import N_
from storage.company_repos import JobProfile


def requirement_of(profile: JobProfile, query: QueryParams) -> matching.Requirement:
    """No "run" in the address: the default, everything. Else what is ticked."""
    if "run" not in query:
        return matching.everything(profile)
    skills = [k[5:] for k in query if k.startswith("need.")]
    kinds = [k[5:] for k in query if k.startswith("cond.")]
    return matching.chosen(profile, skills, kinds)


def filters_of(requirement: matching.Requirement) -> dict[str, str]:
    found = {"run": "1"}
    found |= {f"need.{s}": "on" for s in requirement.skills}
    found |= {f"cond.{k.value}": "on" for k in requirement.conditions}
    return found


def _gap(req: DeskRequest, gap: matching.Gap) -> str:
    text = skill_name(req, gap.skill_id)
    if gap.workshops:
        taught = "; ".join(
            f"{w.title} ({req.translator.minute(w.starts_at)})" for w in gap.workshops
        )
        text += " — " + req.tr("workshop: %(list)s", list=taught)
    return text


def matches_listing(req: DeskRequest, result: matching.MatchResult) -> Listing:
    requirement = result.requirement
    labels = [skill_name(req, s) for s in requirement.skills] + [
        condition_text(req, k, v) for k, v in requirement.conditions.items()
    ]
    return Listing(
        name=f"matches-{result.profile.code}",
        title=req.tr("People who meet it"),
        columns=[
            req.tr(c)
            for c in (
                N_("Person"),
                N_("Required skills"),
                N_("Desirable skills they have"),
                N_("What they lack"),
            )
        ],
        rows=[
            [
                f"#{c.person_id}",
                ", ".join(skill_name(req, s) for s in c.required),
                ", ".join(skill_name(req, s) for s in c.desirable),
                "; ".join(_gap(req, g) for g in c.lacking),
            ]
            for c in result.candidates
        ],
        filters=filters_of(requirement),
        filter_labels=[(req.tr("Required"), "; ".join(labels) or req.tr("nothing"))],
    )


async def _result(req: DeskRequest) -> matching.MatchResult | None:
    now = req.desk.clock.now()
    async with req.desk.db.write() as tx:
        profile = await co.profile(tx, int(req.request.path_params["profile_id"]))
        if profile is None:
            return None
        requirement = requirement_of(profile, req.request.query_params)
        result = await matching.match(tx, profile, requirement, now)
        await accounts.audit(tx, req.user_id, "profile.match", "profile", profile.id, now)
    return result


async def profile_page(req: DeskRequest) -> Response:
    result = await _result(req)
    if result is None:
        return missing(req, NO_PROFILE)
    profile = result.profile
    async with req.desk.db.read() as tx:
        company = await tx.companies.get(profile.company_id)
    listing = matches_listing(req, result)
    pages = max(1, -(-len(result.candidates) // PAGE))
    raw_page = req.request.query_params.get("page", "1")
    page = min(pages, max(1, int(raw_page))) if raw_page.isdigit() else 1
    first = (page - 1) * PAGE
    shown_rows = list(
        zip(
            result.candidates[first : first + PAGE], listing.rows[first : first + PAGE], strict=True
        )
    )
    notices = {
        "created": req.tr("The job profile was saved."),
        "updated": req.tr("The job profile was changed."),
    }
    base = f"/desk/profiles/{profile.id}"
    query = urlencode(filters_of(result.requirement))
    return req.page(
        "profile.html",
        title=profile.title,
        profile=profile,
        company=company,
        state=req.tr(STATE_LABELS[profile.state]),
        essential=[(s, skill_name(req, s)) for s in profile.essential],
        desirable=[skill_name(req, s) for s in profile.desirable],
        conditions=[(k.value, condition_text(req, k, v)) for k, v in profile.conditions.items()],
        required_skills=set(result.requirement.skills),
        required_kinds={k.value for k in result.requirement.conditions},
        listing=listing,
        rows=shown_rows,
        page=page,
        pages=pages,
        page_link=f"{base}?{query}&page=",
        export_base=f"{base}/matches",
        editor=can_edit(req),
        skill_label=lambda skill_id: skill_name(req, skill_id),
        notice=notices.get(req.request.query_params.get("done", "")),
    )


async def matches_export(req: DeskRequest) -> Response:
    result = await _result(req)
    if result is None:
        return missing(req, NO_PROFILE)
    return await export_listing(req, matches_listing(req, result), "profile.matches")
