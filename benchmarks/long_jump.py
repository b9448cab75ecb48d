"""The long jump: staff fast-forward the clock by days, every simulated house and producer
reports the whole jump, and every store takes it in. How long, at what cost, and exact?

    .venv/bin/python -m benchmarks.long_jump --houses 30 --days 90    (make bench-jump HOUSES= DAYS=)

It starts the grid on in-process moto (as the tests do), creates the demo fleet of `make run`
(N houses in towns, two utility producers) through the API, jumps the clock D days
(`POST /clock/advance`), delivers until every queue is empty, then prints the wall time of
the jump, the readings posted, each function's time (its own, less the functions it called
through the API), the AWS calls by operation and by function, and the correctness line:
every store holds exactly what the simulators posted, to the mWh. `--profile FILE` writes a
cProfile of the jump.
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import time
from collections.abc import Callable
from datetime import timedelta

from benchmarks.aws_calls import AwsCallCounter
from benchmarks.checks import StoreReader, check_stores
from benchmarks.grid import CLOCK_START, STAFF_TOKEN, create_fleet, staff, start_grid
from benchmarks.posted import PostedTotals
from localcloud import LocalCloud
from smartgrid.units import mwh_to_wh

MINUTES_PER_DAY = 24 * 60
SHOWN_FUNCTIONS = 14


def jump(cloud: LocalCloud, days: int) -> None:
    staff(cloud, "POST", "/clock/advance", {"ticks": days * MINUTES_PER_DAY}, 200)
    cloud.drain(timeout=24 * 3600)


def timed(action: Callable[[], None], profile: str | None) -> float:
    started = time.perf_counter()
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(action)
        profiler.dump_stats(profile)
    else:
        action()
    return time.perf_counter() - started


def report_functions(cloud: LocalCloud, calls: AwsCallCounter) -> None:
    dynamodb = calls.by_function("dynamodb")
    sqs_sns = calls.by_function("sqs") + calls.by_function("sns")
    print(f"  {'function':<34}{'own s':>8}{'total s':>9}{'calls':>8}{'dynamodb':>10}{'sqs+sns':>9}")
    hosts = sorted(cloud.hosts.items(), key=lambda item: -item[1].own_seconds)
    for name, host in hosts[:SHOWN_FUNCTIONS]:
        if host.invocations:
            print(
                f"  {name:<34}{host.own_seconds:>8.1f}{host.seconds:>9.1f}{host.invocations:>8}"
                f"{dynamodb[name]:>10}{sqs_sns[name]:>9}"
            )
    print(
        f"  {'(runtime: polling, deleting)':<34}{'':>8}{'':>9}{'':>8}{dynamodb['runtime']:>10}{sqs_sns['runtime']:>9}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.long_jump", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--houses", type=int, default=30)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the jump to FILE")
    args = parser.parse_args(argv)
    posted = PostedTotals()
    cloud = start_grid(posted)
    calls = AwsCallCounter().install()
    try:
        started = time.perf_counter()
        houses, utilities = create_fleet(cloud, args.houses)
        print(
            f"grid and fleet: {args.houses} houses, {len(utilities)} utility producers, in {time.perf_counter() - started:.1f} s"
        )
        for host in cloud.hosts.values():
            host.reset_counts()
        calls.reset()
        posted.reset()
        seconds = timed(lambda: jump(cloud, args.days), args.profile)
        errors = sum(host.errors for host in cloud.hosts.values())
        dead = sum(cloud.dead_letters().values())
        print(f"jump of {args.days} days: {seconds:.1f} s wall")
        print(
            f"  readings posted {posted.readings:,} in {posted.batches} batches "
            f"({posted.duplicates} duplicates, {posted.refused} refused); "
            f"handler errors {errors}, dead letters {dead}"
        )
        dynamodb = calls.by_operation("dynamodb")
        print(
            f"  dynamodb calls {sum(dynamodb.values()):,}: "
            + ", ".join(f"{op} {n:,}" for op, n in dynamodb.most_common())
        )
        sqs_sns = calls.by_operation("sqs") + calls.by_operation("sns")
        print(
            f"  sqs+sns calls {sum(sqs_sns.values()):,}: "
            + ", ".join(f"{op} {n:,}" for op, n in sqs_sns.most_common())
        )
        report_functions(cloud, calls)
        calls.remove()
        started = time.perf_counter()
        last = (CLOCK_START + timedelta(days=args.days)).date().isoformat()
        check = check_stores(
            StoreReader(cloud, STAFF_TOKEN), posted, houses, utilities, CLOCK_START.date().isoformat(), last
        )
        consumed = mwh_to_wh(sum(posted.consumption.values()))
        produced = mwh_to_wh(sum(posted.production.values()))
        verdict = "EXACT" if not check.mismatches else f"{len(check.mismatches)} MISMATCHES"
        print(
            f"correctness: {verdict}: {check.compared:,} stored figures vs posted "
            f"(consumption {consumed:,.3f} Wh, production {produced:,.3f} Wh), checked in {time.perf_counter() - started:.1f} s"
        )
        for line in check.mismatches[:10]:
            print(f"  {line}")
        return 0 if not check.mismatches and not errors and not dead else 1
    finally:
        calls.remove()
        cloud.stop()


if __name__ == "__main__":
    sys.exit(main())
