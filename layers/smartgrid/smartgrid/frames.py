"""Frames (electricity-frame): what each tick consumed and produced, per community and in all.

No process holds a frame. Every reading is added, exactly once, into per-tick aggregates in
DynamoDB as it arrives, by any number of copies of the consumer (`FrameAggregator`); each
move of the clock closes the frames of `k` ticks before (late readings have had `k` ticks to
arrive), which are stored as closed and published once on `electricity.frame`
(`FrameCloser`). A reading that arrives after its frame closed still counts in the
aggregates; the closed frame stays as it was published.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from smartgrid.bus import Bus
from smartgrid.clock import ClockMove
from smartgrid.events import ClientConsumption, ElectricityFrame, FrameTotals, ProductionReading, Topic
from smartgrid.gridtime import iso, parse_instant
from smartgrid.stores.frames import (
    ClosedFramesRepository,
    FramesStore,
    Measure,
    Part,
    Span,
    TickAggregates,
    portion,
)
from smartgrid.stores.outbox import publish_once

UNASSIGNED = "unassigned"
MAX_FRAMES_PER_MOVE = 60
W_QUANTUM = Decimal("0.001")

Reading = ClientConsumption | ProductionReading
CommunityLookup = Callable[[list[str]], Mapping[str, str | None]]


def portions(timestamp: str, duration_minutes: int, tick_minutes: int, mwh: int) -> list[tuple[str, int]]:
    """A reading's energy tick by tick: a reading over several ticks is spread evenly over
    them (constant power), the remainder going to the first ticks: the parts sum exactly."""
    start = parse_instant(timestamp)
    count = max(1, duration_minutes // tick_minutes)
    return [(iso(start + timedelta(minutes=i * tick_minutes)), portion(mwh, count, i)) for i in range(count)]


def frames_to_close(move: ClockMove, delay_ticks: int) -> list[str]:
    """The starts of the frames a clock move closes, oldest first.

    A frame closes k ticks after its tick, and never on the move that ended its tick: the
    tick's readings are posted after that move. One tick a move, that is the frame k ticks
    before `now`; after staff move the clock many ticks at once, the frames of that move
    close on the next one (those k ticks before it).

    A long jump (staff fast-forwarding three months) closes only the last
    MAX_FRAMES_PER_MOVE of them: frames drive the live control of the grid, and the
    skipped ones would be published long after anyone could act on them. The readings of
    the skipped ticks still count in every stored total.
    """
    tick = timedelta(minutes=move.tickMinutes)
    # Where the clock stood after this move and the earlier ones, the latest first. An event
    # from a clock that kept none knows only `previous`, and takes the move before it for a
    # single tick.
    ends = [parse_instant(end) for end in (move.now, *(move.earlierEnds or [move.previous]))]
    first, last = _closable(ends[1:], delay_ticks, tick), _closable(ends, delay_ticks, tick)
    count = min(max(int((last - first) / tick), 0), MAX_FRAMES_PER_MOVE)
    return [iso(last - (count - 1 - i) * tick) for i in range(count)]


def _closable(ends: list[datetime], delay_ticks: int, tick: timedelta) -> datetime:
    """The start of the latest frame closable once the clock's latest moves ended at `ends`
    (the latest first): k ticks back, and its tick ended by an earlier move than the latest."""
    ended_before = ends[1] if len(ends) > 1 else ends[0] - tick
    return min(ends[0] - delay_ticks * tick, ended_before - tick)


def watts(mwh: int, minutes: int) -> float:
    """The mean power (W) of an energy (mWh) over some minutes, to the mW."""
    exact = Decimal(mwh) * 60 / (Decimal(1000) * minutes)
    return float(exact.quantize(W_QUANTUM, rounding=ROUND_HALF_EVEN))


def build_frame(frame_start: str, duration_minutes: int, aggregates: TickAggregates) -> ElectricityFrame:
    communities = {
        community: FrameTotals(
            consumptionMwh=sums.consumption,
            productionMwh=sums.house_production,
            houseProductionMwh=sums.house_production,
        )
        for community, sums in sorted(aggregates.communities.items())
    }
    house = sum(t.houseProductionMwh for t in communities.values())
    utility = sum(aggregates.producers.values())
    return ElectricityFrame(
        frameStart=frame_start,
        durationMinutes=duration_minutes,
        grid=FrameTotals(
            consumptionMwh=sum(t.consumptionMwh for t in communities.values()),
            productionMwh=house + utility,
            houseProductionMwh=house,
            utilityProductionMwh=utility,
        ),
        communities=communities,
        producers=dict(sorted(aggregates.producers.items())),
    )


def _is_utility(reading: Reading) -> bool:
    return isinstance(reading, ProductionReading) and reading.kind == "utility"


def placed(
    readings: Iterable[Reading], tick_minutes: int, communities_of: CommunityLookup
) -> tuple[list[Part], list[Span]]:
    """Where each reading counts: a utility producer's production under the producer; a
    house's consumption or production under its community (the one the event names, else
    the client database's, else UNASSIGNED: a house still registering).

    A reading of one tick is a Part of that tick's aggregates; a reading over several ticks
    (a head-end's batch, a simulator's hourly report after a jump) is one Span, spread over
    its ticks when their frames are read: a long jump costs a write per reading, not per tick.
    """
    readings = list(readings)
    unknown = sorted(
        {r.houseId for r in readings if not _is_utility(r) and r.communityId is None and r.houseId}
    )
    looked_up = communities_of(unknown) if unknown else {}
    parts: list[Part] = []
    spans: list[Span] = []
    for reading in readings:
        measure: Measure
        if isinstance(reading, ProductionReading):
            source = f"p#{reading.producerId}"
            if reading.kind == "utility":
                measure, owner = "utilityProduction", reading.producerId
            else:
                measure = "houseProduction"
                owner = reading.communityId or looked_up.get(reading.houseId or "") or UNASSIGNED
        else:
            source, measure = f"c#{reading.houseId}", "consumption"
            owner = reading.communityId or looked_up.get(reading.houseId) or UNASSIGNED
        ticks = max(1, reading.durationMinutes // tick_minutes)
        if ticks == 1:
            parts.append(Part(source, reading.timestamp, reading.mwh, measure, owner))
        else:
            spans.append(Span(source, reading.timestamp, ticks, tick_minutes, reading.mwh, measure, owner))
    return parts, spans


class FrameAggregator:
    def __init__(self, store: FramesStore, tick_minutes: int, communities_of: CommunityLookup) -> None:
        self.store = store
        self.tick_minutes = tick_minutes
        self.communities_of = communities_of

    def add(self, readings: Iterable[Reading]) -> int:
        """Adds readings into their ticks' aggregates, each once; how many were new."""
        parts, spans = placed(readings, self.tick_minutes, self.communities_of)
        return self.store.add(parts) + self.store.add_spans(spans)


class FrameCloser:
    """Closes frames: the aggregates read once, the frame stored as closed, published once."""

    def __init__(self, frames: FramesStore, closed: ClosedFramesRepository, bus: Bus) -> None:
        self.frames = frames
        self.closed = closed
        self.bus = bus

    def close(self, frame_start: str, duration_minutes: int, lease_ms: int) -> bool:
        """Closes one frame; a redo goes on with the frame as first stored. True if this
        call published it."""
        record = self.closed.get(frame_start)
        if record is None:
            frame = build_frame(frame_start, duration_minutes, self.frames.tick(frame_start))
            record = self.closed.store(frame)

        def publish(payload: str) -> None:
            self.bus.publish(Topic.ELECTRICITY_FRAME, [ElectricityFrame.model_validate_json(payload)])

        return publish_once(self.closed.outbox, self.closed.key(frame_start), record, publish, lease_ms)

    def close_move(self, move: ClockMove, delay_ticks: int, lease_ms: int) -> list[str]:
        """Closes the frames of a clock move; the starts of those this call published."""
        return [
            start
            for start in frames_to_close(move, delay_ticks)
            if self.close(start, move.tickMinutes, lease_ms)
        ]
