"""Shared fixtures: the whole template on in-process moto (see localcloud), and sample events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import localcloud  # noqa: F401 - puts the shared layer on the path, as Lambda mounts it
from localcloud import LocalCloud

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
STAFF_TOKEN = "local-staff-token"
CLOCK_START = "2026-03-01T00:00:00Z"


def sample_event(function_dir: str, case: str) -> dict[str, Any]:
    """A sample event of `events/<function>/<case>.json`, as `sam local invoke -e` reads it."""
    return json.loads((EVENTS / function_dir / f"{case}.json").read_text())  # type: ignore[no-any-return]


# Tests post readings days ahead of a clock they do not move: a year's tolerance lets them;
# tests/functions/test_reading_window.py checks the template's default of a day.
TESTS_FUTURE_TOLERANCE_MINUTES = str(366 * 24 * 60)


def start_cloud(**parameters: str) -> LocalCloud:
    """A grid at the tests' clock start; `parameters`: other template parameters."""
    defaults = {
        "ClockStart": CLOCK_START,
        "LogLevel": "WARNING",
        "ReadingsFutureToleranceMinutes": TESTS_FUTURE_TOLERANCE_MINUTES,
    }
    return LocalCloud(staff_token=STAFF_TOKEN, parameters={**defaults, **parameters}).start()


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """One grid per test module (moto's state is process-wide, so one grid at a time):
    tests register their own houses and compare counts before and after, so they do not collide.
    A test that needs other template parameters lives in a module of its own."""
    grid = start_cloud()
    yield grid
    grid.stop()


def item_count(cloud: LocalCloud, table_logical_id: str) -> int:
    """How many items a table holds: tests compare it before and after (moto is shared by a module)."""
    return int(
        cloud.clients.dynamodb.scan(TableName=cloud.provisioned.tables[table_logical_id], Select="COUNT")[
            "Count"
        ]
    )
