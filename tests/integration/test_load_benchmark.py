"""`make bench`'s machinery on a tiny fleet: the figures it writes are the issue's, and exact.

A run starts its own grid (moto's state is process-wide), so this module has no `cloud`.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.load import main
from smartgrid.simulation.demo import demo_houses

ISSUE_KEYS = {
    "houses",
    "ticks",
    "readings",
    "wallSeconds",
    "readingsPerSecond",
    "tickLatencyP50",
    "tickLatencyP95",
    "tickLatencyMax",
    "dynamodbWritesPerReading",
    "busRequestsPerReading",
    "lambdaInvocationsPerReading",
    "peakRssMb",
    "totalsExact",
    "motoBatchWriteFloor",
}


def test_three_houses_two_ticks_measured_exactly(tmp_path: Path, capsys: object) -> None:
    # Given a fleet of 3 demo houses (a consumption reading each a tick, and a production
    # reading from those with panels) and 1 utility producer
    houses, ticks, producers = 3, 2, 1
    solar = sum(1 for body in demo_houses(houses) if any(o["kind"] == "producer" for o in body["objects"]))
    out = tmp_path / "bench.json"
    # When the load run measures 2 ticks and writes its figures
    status = main(
        [
            f"--houses={houses}",
            f"--ticks={ticks}",
            f"--producers={producers}",
            f"--out={out}",
            "--floor-seconds=0.3",
        ]
    )
    # Then it succeeds, with every figure of the issue, every total exact, every reading counted
    figures = json.loads(out.read_text())
    assert status == 0
    assert figures.keys() >= ISSUE_KEYS
    assert figures["totalsExact"] is True
    assert figures["readings"] == ticks * (houses + solar + producers)
    assert (figures["houses"], figures["ticks"], figures["producers"]) == (houses, ticks, producers)
    # And the measures are measures: time passed, the platform wrote, published and ran,
    # each tick's frame was seen published, and moto's floor was measured
    assert figures["wallSeconds"] > 0 and figures["readingsPerSecond"] > 0
    assert 0 < figures["tickLatencyP50"] <= figures["tickLatencyP95"] <= figures["tickLatencyMax"]
    assert figures["dynamodbWritesPerReading"] > 0 and figures["busRequestsPerReading"] > 0
    assert figures["lambdaInvocationsPerReading"] > 0 and figures["peakRssMb"] > 0
    assert figures["motoBatchWriteFloor"] > 0
    assert figures["handlerErrors"] == 0 and figures["deadLetters"] == 0
