"""The report's bar charts: matplotlib on Agg, readable in greyscale.

Each series has its own grey and its own hatching, so a printout in black and white keeps them
apart; every bar carries its number, and a suppressed cell is drawn as no bar with "<5" on it,
never at its true height.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from babel.numbers import format_decimal

from bot.monitoring.figures import Cell, Table
from bot.monitoring.suppression import Shown

GREYS = ("#4d4d4d", "#b3b3b3", "#ffffff", "#808080", "#e0e0e0")
HATCHES = ("", "//", "..", "xx", "\\\\")
HIDDEN = "<5"


def number(value: Cell | None, language: str) -> str:
    if value is None:
        return HIDDEN
    if isinstance(value, float) and not value.is_integer():
        return format_decimal(value, "0.0", locale=language)
    return str(int(value))


def series_of(table: Table, shown: Shown) -> tuple[list[str], list[tuple[str, list[Cell | None]]]]:
    """Category labels, then (series label, values) as the table's chart setting says."""
    counts = [i for i, r in enumerate(table.rows) if r.key != "total" and r.basis is None]
    if table.chart.startswith("row:"):
        row = int(table.chart.removeprefix("row:"))
        return table.columns, [(table.rows[row].label, shown[row])]
    labels = [table.rows[i].label for i in counts]
    if table.chart == "grouped":
        columns = [c for c in range(len(table.columns)) if c != table.row_total_column]
        return labels, [(table.columns[c], [shown[i][c] for i in counts]) for c in columns]
    return labels, [(table.columns[0], [shown[i][0] for i in counts])]


def draw(table: Table, shown: Shown, path: Path, language: str) -> None:
    labels, series = series_of(table, shown)
    figure, axes = plt.subplots(figsize=(8, 3.6), dpi=110)
    try:
        width = 0.8 / len(series)
        for s, (name, values) in enumerate(series):
            xs = [i + (s - (len(series) - 1) / 2) * width for i in range(len(labels))]
            heights = [0 if v is None else v for v in values]
            bars = axes.bar(
                xs,
                heights,
                width,
                label=name,
                color=GREYS[s % len(GREYS)],
                hatch=HATCHES[s % len(HATCHES)],
                edgecolor="black",
                linewidth=0.6,
            )
            axes.bar_label(bars, [number(v, language) for v in values], fontsize=7, padding=2)
        many = len(labels) > 6
        names = labels if many else [_wrap(label) for label in labels]
        axes.set_xticks(range(len(labels)), names, fontsize=7, rotation=35 if many else 0)
        if many:
            plt.setp(axes.get_xticklabels(), ha="right", rotation_mode="anchor")
        axes.set_title(table.title, fontsize=10)
        axes.spines[["top", "right"]].set_visible(False)
        axes.margins(y=0.15)
        if len(series) > 1:
            axes.legend(fontsize=7, frameon=False)
        figure.tight_layout()
        # No "Software" text chunk and no date: the same figures give the same file.
        figure.savefig(path, format="png", metadata={"Software": None})
    finally:
        plt.close(figure)


def _wrap(label: str, width: int = 14) -> str:
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)
