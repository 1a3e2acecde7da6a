"""Statistical disclosure control: no published cell tells about fewer than 5 people.

Primary suppression hides every count from 1 to 4 (shown as "<5"). Zeros stay: a zero says
nothing about anyone, and many are zero by definition (no "18 to 29" in the "Over 50" column).

Secondary suppression: a table's additive relations (the total row is the sum of the rows above
it in each column; a total column is the sum of the others in each row; a row that is the sum
of some others, `Table.row_sums`) are lines "total = sum of parts". A line with exactly one hidden member would give it away by subtraction, so its
smallest shown non-zero part is hidden too (the total when no part is left), and every line is
checked again until none has exactly one hidden member. Totals are computed before suppression
and shown only when that does not reveal a hidden cell, which is the same rule from the other
side. A median (or any figure that is not a count) is shown only when the count it stands on is.
"""

from __future__ import annotations

from bot.monitoring.figures import Cell, Table

THRESHOLD = 5

Position = tuple[int, int]
Line = list[Position]  # the last member is the total of the others
Shown = list[list[Cell | None]]  # None is a suppressed cell


def lines_of(table: Table) -> list[Line]:
    counts = [i for i, r in enumerate(table.rows) if r.basis is None]
    width = len(table.columns)
    lines: list[Line] = []
    if table.total:
        *parts, total = counts
        lines += [[*((r, c) for r in parts), (total, c)] for c in range(width)]
    if table.row_total_column is not None:
        t = table.row_total_column
        lines += [[*((r, c) for c in range(width) if c != t), (r, t)] for r in counts]
    for summed, sum_row in table.row_sums:
        lines += [[*((r, c) for r in summed), (sum_row, c)] for c in range(width)]
    return lines


def primary(table: Table) -> set[Position]:
    if not table.people:
        return set()
    return {
        (r, c)
        for r, row in enumerate(table.rows)
        if row.basis is None
        for c, value in enumerate(row.values)
        if 0 < value < THRESHOLD and (table.people_columns is None or c in table.people_columns)
    }


def _companion(table: Table, line: Line, hidden: set[Position]) -> Position:
    """The member to hide next to the line's only hidden one."""
    *parts, total = line
    shown = [p for p in parts if p not in hidden and table.rows[p[0]].values[p[1]] > 0]
    if shown:
        return min(shown, key=lambda p: (table.rows[p[0]].values[p[1]], p))
    if total not in hidden:
        return total
    # Only zeros are left beside the hidden part: hide one so the line has two unknowns.
    return next(p for p in parts if p not in hidden)


def secondary(table: Table, hidden: set[Position]) -> set[Position]:
    hidden = set(hidden)
    lines = lines_of(table)
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(p in hidden for p in line) == 1:
                hidden.add(_companion(table, line, hidden))
                changed = True
    return hidden


def hidden_cells(table: Table) -> set[Position]:
    hidden = secondary(table, primary(table))
    if table.people:
        for r, row in enumerate(table.rows):
            if row.basis is None:
                continue
            basis = table.rows[row.basis].values
            hidden |= {
                (r, c)
                for c in range(len(row.values))
                if (row.basis, c) in hidden or basis[c] < THRESHOLD
            }
    return hidden


def suppress(table: Table) -> Shown:
    hidden = hidden_cells(table)
    return [
        [None if (r, c) in hidden else value for c, value in enumerate(row.values)]
        for r, row in enumerate(table.rows)
    ]
