"""Story 16 at scale: N simulated houses and M utility producers on a local grid, T ticks as
fast as the platform takes them, measured.

    .venv/bin/python -m benchmarks.load --houses 1000 --ticks 10 --producers 2 --out bench.json
    (make bench HOUSES= TICKS= PRODUCERS= OUT=)

The grid runs on in-process moto in the tests' deterministic mode (see `benchmarks.grid`).
The fleet is created through the API, each house registered by the real workflow; its time
is printed apart. Then each tick fires the schedule and delivers until every queue is
empty (the next tick fires only then): the wall time runs from the first tick fired to the
grid drained after the last, when every reading of those ticks has its daily totals and
its frame aggregate stored. Frames close k ticks late (FrameDelayTicks, 5; `--frame-delay`): a tick's
latency is from the tick fired to its frame published on electricity.frame, the closing
ticks that publish the last frames run after the measured ones (their readings are not
counted, but they are checked). Counts (DynamoDB write requests, bus requests, Lambda
invocations) are those of the measured ticks, per reading posted and accepted.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import resource
import sys
import time
from dataclasses import dataclass
from typing import Any

from benchmarks.aws_calls import AwsCallCounter
from benchmarks.checks import StoreReader, check_stores
from benchmarks.grid import DEMO_UTILITIES, STAFF_TOKEN, create_fleet, start_grid
from benchmarks.load_meters import (
    BUS_REQUESTS,
    DYNAMODB_WRITE_REQUESTS,
    FramePublications,
    ItemWrites,
    moto_batch_write_floor,
)
from benchmarks.long_jump import report_functions
from benchmarks.posted import PostedTotals
from benchmarks.progress import ProgressBar
from localcloud import LocalCloud

FRAME_TOPIC = "ElectricityFrameTopic"
# The simulators stand in for the meters and their head-end: not the platform's own work.
SIMULATION_FUNCTIONS = {
    "HouseFunction",
    "HouseReportFunction",
    "ProducersFunction",
    "ProducersReportFunction",
}
FLOOR_SECONDS = 3.0
LATENCY = "tick fired -> that tick's frame published on electricity.frame (frames close {delay} ticks later)"


@dataclass(frozen=True)
class Tick:
    frame_start: str  # the interval the tick's readings cover: the clock before the tick
    fired: float  # perf_counter
    drained: float


def fire_and_drain(cloud: LocalCloud) -> Tick:
    fired = time.perf_counter()
    frame_start = ""
    for schedule in cloud.schedules:
        result = schedule.fire()
        if isinstance(result, dict) and "previous" in result:
            frame_start = result["previous"]
    cloud.drain(timeout=3600)
    return Tick(frame_start, fired, time.perf_counter())


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value at least `fraction` of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] if ordered else 0.0


def per(count: float, readings: int) -> float:
    return round(count / readings, 4) if readings else 0.0


@dataclass
class Counts:
    """What the platform did over the measured ticks."""

    dynamodb_writes: int
    dynamodb_items: int
    bus_requests: int
    invocations: int
    platform_dynamodb_writes: int
    platform_dynamodb_items: int
    platform_bus_requests: int
    platform_invocations: int

    @classmethod
    def of(cls, cloud: LocalCloud, calls: AwsCallCounter, items: ItemWrites) -> Counts:
        writes: dict[bool, int] = {True: 0, False: 0}
        bus: dict[bool, int] = {True: 0, False: 0}
        for (function, service, operation), count in calls.calls.items():
            platform = function not in SIMULATION_FUNCTIONS
            if service == "dynamodb" and operation in DYNAMODB_WRITE_REQUESTS:
                writes[platform] += count
            if operation in BUS_REQUESTS.get(service, set()):
                bus[platform] += count
        invocations = {name: host.invocations for name, host in cloud.hosts.items()}
        return cls(
            dynamodb_writes=writes[True] + writes[False],
            dynamodb_items=sum(items.items.values()),
            bus_requests=bus[True] + bus[False],
            invocations=sum(invocations.values()),
            platform_dynamodb_writes=writes[True],
            platform_dynamodb_items=sum(
                n for name, n in items.items.items() if name not in SIMULATION_FUNCTIONS
            ),
            platform_bus_requests=bus[True],
            platform_invocations=sum(
                n for name, n in invocations.items() if name not in SIMULATION_FUNCTIONS
            ),
        )


def run(
    houses: int,
    ticks: int,
    producers: int,
    profile: str | None = None,
    floor_seconds: float = FLOOR_SECONDS,
    frame_delay: int | None = None,
) -> dict[str, Any]:
    posted = PostedTotals()
    cloud = start_grid(posted, {"FrameDelayTicks": str(frame_delay)} if frame_delay else None)
    delay = frame_delay or int(cloud.blueprint.parameters["FrameDelayTicks"]["Default"])
    calls = AwsCallCounter().install()
    frames = FramePublications(cloud.provisioned.topics[FRAME_TOPIC])
    items = ItemWrites()
    calls.listeners.extend([frames, items])
    try:
        started = time.perf_counter()
        house_ids, utilities = create_fleet(cloud, houses, producers, ProgressBar("fleet"))
        fleet_seconds = time.perf_counter() - started
        print(
            f"fleet: {houses:,} houses, {len(utilities)} utility producers, created in {fleet_seconds:.1f} s"
        )
        for host in cloud.hosts.values():
            host.reset_counts()
        calls.reset()
        items.reset()
        posted.reset()

        bar = ProgressBar("ticks")
        measured: list[Tick] = []
        profiler = cProfile.Profile() if profile else None

        def measure() -> None:
            for n in range(ticks):
                measured.append(fire_and_drain(cloud))
                bar(n + 1, ticks, f"{posted.readings:,} readings")

        cpu_started = time.process_time()
        if profiler:
            profiler.runcall(measure)
            profiler.dump_stats(str(profile))
        else:
            measure()
        wall = measured[-1].drained - measured[0].fired
        cpu = time.process_time() - cpu_started
        readings = posted.readings
        counts = Counts.of(cloud, calls, items)
        items_by_function = {name: per(n, readings) for name, n in items.items.most_common()}
        errors = sum(host.errors for host in cloud.hosts.values())
        print(f"ticks: {ticks} in {wall:.1f} s, {readings:,} readings; where the time went:")
        report_functions(cloud, calls)

        closing: list[Tick] = []
        closing_bar = ProgressBar("closing ticks (frames of the measured ticks published)")
        while (waiting := sum(t.frame_start not in frames.published for t in measured)) and len(
            closing
        ) <= 10:
            closing_bar(ticks - waiting, ticks)
            closing.append(fire_and_drain(cloud))
        closing_bar(ticks, ticks)
        print("checking every store against the readings posted...", file=sys.stderr)
        latencies = [
            frames.published[t.frame_start] - t.fired for t in measured if t.frame_start in frames.published
        ]
        calls.remove()
        dead = sum(cloud.dead_letters().values())

        days = sorted({day for _, day in posted.consumption} | {day for _, day in posted.production})
        check = check_stores(StoreReader(cloud, STAFF_TOKEN), posted, house_ids, utilities, days[0], days[-1])
        with cloud.locked():
            floor = moto_batch_write_floor(cloud.clients.dynamodb, floor_seconds)
    finally:
        calls.remove()
        cloud.stop()
    rate = readings / wall if wall else 0.0
    cpu_rate = readings / cpu if cpu else 0.0
    tick_seconds = [t.drained - t.fired for t in measured]
    return {
        "houses": houses,
        "ticks": ticks,
        "readings": readings,
        "wallSeconds": round(wall, 3),
        "readingsPerSecond": round(rate, 1),
        "tickLatencyP50": round(percentile(latencies, 0.50), 3),
        "tickLatencyP95": round(percentile(latencies, 0.95), 3),
        "tickLatencyMax": round(max(latencies, default=0.0), 3),
        "dynamodbWritesPerReading": per(counts.dynamodb_writes, readings),
        "busRequestsPerReading": per(counts.bus_requests, readings),
        "lambdaInvocationsPerReading": per(counts.invocations, readings),
        "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "totalsExact": not check.mismatches and len(latencies) == len(measured),
        "motoBatchWriteFloor": round(floor.per_second, 1),
        # extras
        "producers": len(utilities),
        "fleetSeconds": round(fleet_seconds, 1),
        "fractionOfFloor": round(rate / floor.per_second, 3) if floor.per_second else 0.0,
        # the same on CPU time: what the machine's other work (2 shared cores) does not skew
        "cpuSeconds": round(cpu, 3),
        "readingsPerCpuSecond": round(cpu_rate, 1),
        "motoBatchWriteFloorPerCpuSecond": round(floor.per_cpu_second, 1),
        "fractionOfFloorCpu": round(cpu_rate / floor.per_cpu_second, 3) if floor.per_cpu_second else 0.0,
        "tickLatencyDefinition": LATENCY.format(delay=delay),
        "frameDelayTicks": delay,
        "tickSecondsP50": round(percentile(tick_seconds, 0.50), 3),
        "tickSecondsMax": round(max(tick_seconds, default=0.0), 3),
        "closingTicks": len(closing),
        "dynamodbItemWritesPerReading": per(counts.dynamodb_items, readings),
        "platformDynamodbWritesPerReading": per(counts.platform_dynamodb_writes, readings),
        "platformDynamodbItemWritesPerReading": per(counts.platform_dynamodb_items, readings),
        "dynamodbItemWritesPerReadingByFunction": items_by_function,
        "platformBusRequestsPerReading": per(counts.platform_bus_requests, readings),
        "platformLambdaInvocationsPerReading": per(counts.platform_invocations, readings),
        "dynamodbWriteRequests": counts.dynamodb_writes,
        "dynamodbItemWrites": counts.dynamodb_items,
        "busRequests": counts.bus_requests,
        "lambdaInvocations": counts.invocations,
        "figuresCompared": check.compared,
        "mismatches": check.mismatches[:10],
        "handlerErrors": errors,
        "deadLetters": dead,
    }


def print_figures(figures: dict[str, Any]) -> None:
    f = figures
    print(
        f"houses {f['houses']:,}, producers {f['producers']}, ticks {f['ticks']}: {f['readings']:,} readings "
        f"in {f['wallSeconds']:.1f} s wall = {f['readingsPerSecond']:,.1f} readings/s end to end "
        f"(fleet created apart, in {f['fleetSeconds']:.1f} s)"
    )
    print(
        f"tick latency ({f['tickLatencyDefinition']}): p50 {f['tickLatencyP50']:.2f} s, "
        f"p95 {f['tickLatencyP95']:.2f} s, max {f['tickLatencyMax']:.2f} s; "
        f"a tick fired -> drained: p50 {f['tickSecondsP50']:.2f} s, max {f['tickSecondsMax']:.2f} s"
    )
    print(
        f"per reading: DynamoDB write requests {f['dynamodbWritesPerReading']} "
        f"(items {f['dynamodbItemWritesPerReading']}), bus requests {f['busRequestsPerReading']}, "
        f"Lambda invocations {f['lambdaInvocationsPerReading']}; without the simulators: "
        f"{f['platformDynamodbWritesPerReading']} (items {f['platformDynamodbItemWritesPerReading']}), "
        f"{f['platformBusRequestsPerReading']}, {f['platformLambdaInvocationsPerReading']}"
    )
    by_function = list(f["dynamodbItemWritesPerReadingByFunction"].items())
    print("  item writes per reading, by function: " + ", ".join(f"{n} {v}" for n, v in by_function[:8]))
    print(
        f"peak RSS {f['peakRssMb']:,.0f} MB; handler errors {f['handlerErrors']}, dead letters {f['deadLetters']}"
    )
    print(
        f"moto's BatchWriteItem floor: {f['motoBatchWriteFloor']:,.0f} items/s from one process; "
        f"the pipeline runs at {f['fractionOfFloor']:.1%} of it; on CPU time: "
        f"{f['readingsPerCpuSecond']:,.1f} readings vs {f['motoBatchWriteFloorPerCpuSecond']:,.0f} items "
        f"a CPU second, {f['fractionOfFloorCpu']:.1%}"
    )
    verdict = "EXACT" if f["totalsExact"] else f"NOT EXACT: {f['mismatches']}"
    print(f"totalsExact: {verdict} ({f['figuresCompared']:,} stored figures vs the readings posted)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n")[0])
    parser.add_argument("--houses", type=int, default=1000)
    parser.add_argument("--ticks", type=int, default=10)
    parser.add_argument("--producers", type=int, default=DEMO_UTILITIES)
    parser.add_argument("--out", metavar="FILE", help="write the figures as JSON to FILE")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the measured ticks to FILE")
    parser.add_argument(
        "--floor-seconds", type=float, default=FLOOR_SECONDS, help="moto's floor measured so long"
    )
    parser.add_argument(
        "--frame-delay",
        type=int,
        help="FrameDelayTicks (template default 5, at least 2): the closing ticks a run plays after its own",
    )
    args = parser.parse_args(argv)
    if args.houses < 1 or args.ticks < 1 or args.producers < 0:
        parser.error("--houses and --ticks must be at least 1, --producers at least 0")
    if args.frame_delay is not None and args.frame_delay < 2:
        parser.error("--frame-delay must be at least 2 (the template's minimum)")
    figures = run(args.houses, args.ticks, args.producers, args.profile, args.floor_seconds, args.frame_delay)
    print_figures(figures)
    if args.out:
        with open(args.out, "w") as out:
            json.dump(figures, out, indent=2)
            out.write("\n")
    ok = figures["totalsExact"] and not figures["handlerErrors"] and not figures["deadLetters"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
