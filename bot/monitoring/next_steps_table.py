"""The report's next steps: what the operator recorded after each meeting held (one per
meeting), by profile, counted by `appointments.record_next_step` as it happens."""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.monitoring.figures import (
    Data,
    Table,
    activity,
    events_by_profile,
    profile_table,
    split_by_profile,
    with_total,
)


def next_steps_table(tr: Translator, data: Data) -> Table:
    from bot.flows.operators import NEXT_STEPS

    steps = [(f"next_step_{s.value}", label) for s, label in NEXT_STEPS.items()]
    rows = with_total(tr, split_by_profile(tr, events_by_profile(data, steps), steps))
    table = profile_table(
        tr, "activity_next_steps", N_("Next steps agreed at the meetings"), N_("Next step"), rows
    )
    table.total = True
    return table


def activity_with_next_steps(tr: Translator, data: Data) -> list[Table]:
    """The Activity section's tables, with the next steps after the appointments."""
    tables = activity(tr, data)
    at = next(i for i, t in enumerate(tables) if t.key == "activity_appointments_month") + 1
    return [*tables[:at], next_steps_table(tr, data), *tables[at:]]
