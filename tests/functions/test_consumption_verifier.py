"""consumption-verifier: a closed frame off balance beyond the tolerance asks producers to
adapt by the margin, once per frame however often the frame is delivered."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from localcloud import LocalCloud
from smartgrid.bus import Bus
from smartgrid.events import ElectricityFrame, FrameTotals, Topic
from smartgrid.stores.balance import BalanceChecks
from tests.conftest import sample_event
from tests.functions.balance_support import carrying
from tests.functions.support import TopicProbe

FUNCTION = "ConsumptionVerifierFunction"
DIR = "consumption_verifier"
Probe = Callable[[str], TopicProbe]
_MINUTES = itertools.count()


def checks(cloud: LocalCloud) -> BalanceChecks:
    return BalanceChecks(cloud.provisioned.tables["BalanceTable"])


def own_frame(consumption_mwh: int, production_mwh: int) -> ElectricityFrame:
    """A frame of a minute no other test uses (2026-03-06)."""
    n = next(_MINUTES)
    return ElectricityFrame(
        frameStart=f"2026-03-06T{n // 60:02d}:{n % 60:02d}:00Z",
        durationMinutes=1,
        grid=FrameTotals(
            consumptionMwh=consumption_mwh, productionMwh=production_mwh, utilityProductionMwh=production_mwh
        ),
        communities={"c-v": FrameTotals(consumptionMwh=consumption_mwh)},
        producers={"p-v": production_mwh},
    )


def deliver(cloud: LocalCloud, frame: ElectricityFrame) -> Any:
    return cloud.invoke(FUNCTION, carrying(DIR, "frame", Topic.ELECTRICITY_FRAME, [frame]))


def test_a_frame_short_of_production_asks_for_the_margin(cloud: LocalCloud, probe: Probe) -> None:
    adapts = probe("ProductionAdaptTopic")
    # Given a frame of 6000 W consumed and 4320 W produced / When the function receives it
    result = cloud.invoke(FUNCTION, sample_event(DIR, "frame"))
    # Then production must rise by 1680 W
    assert result == {"batchItemFailures": []}
    assert adapts.events() == [
        {
            "frameStart": "2026-03-05T10:00:00Z",
            "marginW": 1680.0,
            "consumptionW": 6000.0,
            "productionW": 4320.0,
        }
    ]


def test_a_frame_within_the_tolerance_asks_nothing(cloud: LocalCloud, probe: Probe) -> None:
    adapts = probe("ProductionAdaptTopic")
    # Given a frame 30 W short of 6000 W (1 % is 60 W) / When the function receives it
    result = cloud.invoke(FUNCTION, sample_event(DIR, "frame_balanced"))
    # Then nothing is asked, nor recorded
    assert result == {"batchItemFailures": []}
    assert adapts.events() == []
    assert checks(cloud).get("2026-03-05T10:01:00Z") is None


def test_a_frame_with_too_much_production_asks_for_less(cloud: LocalCloud, probe: Probe) -> None:
    adapts = probe("ProductionAdaptTopic")
    cloud.invoke(FUNCTION, sample_event(DIR, "frame_surplus"))
    (adapt,) = adapts.events()
    assert adapt["marginW"] == -1800.0 and adapt["productionW"] == 7800.0


def test_a_frame_delivered_twice_asks_once(cloud: LocalCloud, probe: Probe) -> None:
    adapts = probe("ProductionAdaptTopic")
    frame = own_frame(100_000, 50_000)
    # When the same frame is delivered twice (or published twice by the closer)
    deliver(cloud, frame)
    deliver(cloud, frame)
    # Then production.adapt went out once, and the check is recorded as published
    assert [a["marginW"] for a in adapts.events()] == [3000.0]
    record = checks(cloud).outbox.get(checks(cloud).key(frame.frameStart))
    assert record is not None and record.published


def test_a_publish_that_fails_is_retried_and_goes_out_once(
    cloud: LocalCloud, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    adapts = probe("ProductionAdaptTopic")
    frame = own_frame(100_000, 40_000)

    def unreachable(self: Bus, *args: Any, **kwargs: Any) -> int:
        raise ConnectionError("SNS is unreachable")

    real = Bus.publish
    monkeypatch.setattr(Bus, "publish", unreachable)
    # When the first delivery fails to publish (its only record failed: the whole batch
    # fails), and SQS delivers the frame again
    with pytest.raises(BatchProcessingError):
        deliver(cloud, frame)
    monkeypatch.setattr(Bus, "publish", real)
    deliver(cloud, frame)
    # Then the margin went out once
    assert [a["marginW"] for a in adapts.events()] == [3600.0]


def test_a_record_that_is_not_a_bus_message_fails_alone(cloud: LocalCloud, probe: Probe) -> None:
    adapts = probe("ProductionAdaptTopic")
    event = sample_event(DIR, "frame_bad_record")
    bad = event["Records"][1]["messageId"]
    result = cloud.invoke(FUNCTION, event)
    assert result == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert [a["frameStart"] for a in adapts.events()] == ["2026-03-05T10:03:00Z"]
