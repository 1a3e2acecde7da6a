"""Helpers shared by the benchmark scenarios."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BENCH_CONFIG = """
[desk]
email = "desk@example.org"
dpo_email = "dpo@example.org"

[privacy]
notice_dir = "{privacy}"

[booking]
slot_minutes = 15
buffer_minutes = 0
horizon_days = 14
min_notice_hours = 0

[[operator]]
id = "race"
name = "Rita Bench"
telegram_id = 100000009
meeting = "room"
room_url = "https://zoom.us/j/9"
[operator.hours]
tue = ["09:00-14:00"]
"""


def write_bench_config(folder: Path) -> Path:
    path = folder / "bench.toml"
    path.write_text(BENCH_CONFIG.format(privacy=ROOT / "config" / "privacy"), encoding="utf-8")
    return path


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None


@dataclass
class Result:
    scenario: str
    figures: list[Figure] = field(default_factory=list)

    def add(
        self, name: str, value: float, unit: str, target: str = "", ok: bool | None = None
    ) -> None:
        self.figures.append(Figure(name, value, unit, target, ok))


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else 0.0
