"""How flat, how fast: the scheduler's optimiser against the lowest possible peak.

    .venv/bin/python -m benchmarks.schedule [--loads 100 1000 10000] [--steps 15 1] [--out FILE]
    (make bench-schedule [OUT=file.json])

For each community (`benchmarks.schedule_cases`: cars, washers, water heaters and pool pumps
with mixed windows over a day, on a base with evening peaks and midday solar) it prints the
peak of the optimiser the Lambda runs (`smartgrid.flattening`), the LP lower bound (the same
problem solved as a linear program by SciPy's HiGHS), the gap, the peak of charging as soon
as plugged in, the peak of "split the night equally", and the optimiser's solve time (what
the Lambda does: demands in, plan slots of whole mWh out). The LP is the slow part of a run:
at 10,000 loads a minute apart (5.4 million columns) HiGHS runs past its time limit, and the
bound is then the min-cut one (`lp_bound.cut_bound`: the same LP optimum by duality, from
the plan's level sets; equal to HiGHS's to 1e-9 on every case HiGHS solves). The JSON says
which (`boundMethod`). `--lp-seconds 0` skips the bound.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import localcloud  # noqa: F401 - puts the shared layer on the path, as Lambda mounts it
from benchmarks.lp_bound import TooLong, cut_bound, lp_peak
from benchmarks.schedule_cases import case, naive, night_split
from smartgrid.communityplan import level_with, plan_together

COLUMNS = (
    ("loads", 7, "d"),
    ("stepMinutes", 5, "d"),
    ("peakW", 12, ",.0f"),
    ("lpBoundW", 12, ",.0f"),
    ("gapPercent", 8, ".3f"),
    ("naivePeakW", 12, ",.0f"),
    ("nightSplitPeakW", 15, ",.0f"),
    ("solveSeconds", 12, ".3f"),
)
HEADINGS = ("loads", "step", "our peak W", "LP bound W", "gap %", "naive W", "night split W", "solve s")


def run_case(loads: int, step_minutes: int, lp_seconds: float) -> dict[str, Any]:
    problem = case(loads, step_minutes)
    # What the Lambda does: demands in, plan slots of whole mWh out
    started = time.perf_counter()
    plans = plan_together(problem.demands(), problem.grid, problem.base, [])
    solve_seconds = time.perf_counter() - started
    peak = float(np.max(level_with(problem.base, problem.grid, list(plans.values()))))
    row: dict[str, Any] = {
        "loads": loads,
        "stepMinutes": step_minutes,
        "peakW": round(peak, 1),
        "lpBoundW": None,
        "gapPercent": None,
        "naivePeakW": round(float(np.max(naive(problem))), 1),
        "nightSplitPeakW": round(float(np.max(night_split(problem))), 1),
        "solveSeconds": round(solve_seconds, 4),
    }
    if lp_seconds:
        level = level_with(problem.base, problem.grid, list(plans.values()))
        try:
            bound, row["boundMethod"] = lp_peak(problem.base, problem.problem, lp_seconds), "highs-ipm"
        except TooLong:
            bound, row["boundMethod"] = cut_bound(problem.base, problem.problem, level), "min-cut"
        row["lpBoundW"] = round(bound, 1)
        row["gapPercent"] = round(100 * (peak - bound) / abs(bound), 4)
    return row


def line(row: dict[str, Any]) -> str:
    cells = []
    for (key, width, spec), _ in zip(COLUMNS, HEADINGS, strict=True):
        value = row.get(key)
        cells.append(f"{'-' if value is None else format(value, spec):>{width}}")
    return " ".join(cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loads", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--steps", type=int, nargs="+", default=[15, 1], help="slot minutes")
    parser.add_argument("--out", type=Path, help="write the table as JSON here")
    parser.add_argument(
        "--lp-seconds",
        type=float,
        default=600,
        help="HiGHS's time limit per case; past it the bound is the min-cut one (0: no bound)",
    )
    args = parser.parse_args(argv)
    print(" ".join(f"{h:>{w}}" for h, (_, w, _) in zip(HEADINGS, COLUMNS, strict=True)), flush=True)
    rows = []
    for step in args.steps:
        for loads in args.loads:
            row = run_case(loads, step, args.lp_seconds)
            rows.append(row)
            print(line(row), flush=True)
    gaps = [r["gapPercent"] for r in rows if r["gapPercent"] is not None]
    if gaps:
        print(f"worst gap to the LP bound: {max(gaps):.3f} % (target ≤ 1 %)")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n")
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
