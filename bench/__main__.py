"""Run the benchmarks and print their figures: `python -m bench [--smoke]`.

Writes the same table as JSON to bench/results/latest.json. `--smoke` runs a small version of
every scenario (what CI runs) to check the invariants, not the speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict

from bench import (
    booking_race,
    conversation,
    desk_timing,
    matching_speed,
    outbox_rate,
    pg_broadcast,
    pg_conversation,
    pg_race,
    pg_scale,
    report_speed,
    rsvp_race,
    scale,
)
from bench.common import ROOT, Result


def table(results: list[Result]) -> str:
    lines = []
    for result in results:
        lines.append(f"\n== {result.scenario}")
        for f in result.figures:
            verdict = "" if f.ok is None else ("  ok" if f.ok else "  MISSED")
            target = f"  (target {f.target})" if f.target else ""
            value = (
                f"{f.value:,.0f}"
                if f.value == int(f.value) and f.unit != "x"
                else f"{f.value:,.3f}"
            )
            lines.append(f"  {f.name:<28} {value:>12} {f.unit:<6}{target}{verdict}")
    return "\n".join(lines)


async def main(smoke: bool) -> list[Result]:
    if smoke:
        return [
            await booking_race.run(people=100),
            await pg_race.run(people=100),
            await rsvp_race.run(people=200),
            await outbox_rate.run(rows=150, baseline_messages=60, limit=300.0),
            await pg_broadcast.run(rows=150, limit=300.0),
            await conversation.run_telegram(people=3, smoke=True),
            await conversation.run_whatsapp(people=3, smoke=True),
            await pg_conversation.run(people=3, processes=(1, 2), smoke=True),
            await scale.run(people=300, bookings=1_200, small=100, concurrent=5, smoke=True),
            await pg_scale.run(people=300, bookings=1_200, small=100, concurrent=5, smoke=True),
            await report_speed.run(people=200, bookings=600),
            await desk_timing.run(people=300, bookings=1_200, requests=4),
            await matching_speed.run(people=300),
        ]
    return [
        await booking_race.run(),
        await pg_race.run(),
        await rsvp_race.run(),
        await outbox_rate.run(),
        await pg_broadcast.run(),
        await conversation.run_telegram(),
        await conversation.run_whatsapp(),
        await pg_conversation.run(),
        await scale.run(),
        await pg_scale.run(),
        await report_speed.run(),
        await desk_timing.run(),
        await matching_speed.run(),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="small and fast: invariants only")
    args = parser.parse_args()
    results = asyncio.run(main(args.smoke))
    print(table(results))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / ("smoke.json" if args.smoke else "latest.json")).write_text(
        json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8"
    )
    missed = [f.name for r in results for f in r.figures if f.ok is False]
    sys.exit(1 if missed and not args.smoke else 0)
