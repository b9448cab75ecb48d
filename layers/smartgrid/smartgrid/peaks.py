"""consumption-peak: a community whose frame consumption goes over its threshold peaks.

The threshold is the community's own when staff set one, else the grid's default (10,000 W,
the seed's). A frame's consumption in W is its energy over its duration. Each peak is
stored under (community, frame) before it is published, and published once, however often
the frame is delivered and however many copies of the function run.
"""

from __future__ import annotations

from collections.abc import Mapping

from smartgrid.bus import Bus
from smartgrid.events import ConsumptionPeak, ElectricityFrame, Topic
from smartgrid.frames import UNASSIGNED, watts
from smartgrid.stores.outbox import publish_once
from smartgrid.stores.peaks import PeaksStore


def peaks_in(
    frame: ElectricityFrame, thresholds: Mapping[str, float], default_w: float
) -> list[ConsumptionPeak]:
    found: list[ConsumptionPeak] = []
    for community_id, totals in sorted(frame.communities.items()):
        if community_id == UNASSIGNED:
            continue  # houses still registering: no community to shed
        value = watts(totals.consumptionMwh, frame.durationMinutes)
        threshold = thresholds.get(community_id, default_w)
        if value > threshold:
            found.append(
                ConsumptionPeak(
                    communityId=community_id, frameStart=frame.frameStart, valueW=value, thresholdW=threshold
                )
            )
    return found


class PeakDetector:
    def __init__(self, store: PeaksStore, bus: Bus, default_threshold_w: float) -> None:
        self.store = store
        self.bus = bus
        self.default_threshold_w = default_threshold_w

    def on_frame(self, frame: ElectricityFrame, lease_ms: int) -> list[ConsumptionPeak]:
        """The frame's peaks, each published once; those this call published."""
        published: list[ConsumptionPeak] = []
        for peak in peaks_in(frame, self.store.thresholds(), self.default_threshold_w):
            record = self.store.record(peak)

            def publish(payload: str) -> None:
                self.bus.publish(Topic.CONSUMPTION_PEAK, [ConsumptionPeak.model_validate_json(payload)])

            if publish_once(
                self.store.outbox,
                self.store.key(peak.communityId, peak.frameStart),
                record,
                publish,
                lease_ms,
            ):
                published.append(peak)
        return published
