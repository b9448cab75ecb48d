"""Judging ticks (real-energy-output): each move of the clock judges the ticks of k ticks
before, as frames close (late readings have had k ticks to arrive), and publishes each
community's houses once on energy.output.community.

A judged tick is stored once (an outbox record: the events, and whether they were
published), then published once; a redo goes on with the tick as first stored. Readings that
arrive after their tick was judged still count in the stored days; the tick stays as
published.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from smartgrid.bus import Bus
from smartgrid.clock import ClockMove
from smartgrid.events import EnergyOutputCommunity, Topic
from smartgrid.frames import frames_to_close
from smartgrid.stores.energy import EnergyStore
from smartgrid.stores.outbox import publish_once


class JudgedTick(BaseModel):
    """What a judged tick publishes: one event per community with houses in the tick."""

    events: list[EnergyOutputCommunity]


class EnergyJudge:
    def __init__(self, store: EnergyStore, bus: Bus) -> None:
        self.store = store
        self.bus = bus

    def judge(self, tick_starts: Sequence[str], lease_ms: int) -> list[str]:
        """Judges ticks (those judged before keep their stored judgement); the starts of the
        ticks this call published."""
        outbox = self.store.judged
        records = {t: outbox.get(self.store.judged_key(t)) for t in tick_starts}
        energies = self.store.tick_energies([t for t, r in records.items() if r is None])
        published: list[str] = []
        for tick, record in records.items():
            if record is None:
                events = [
                    EnergyOutputCommunity(
                        communityId=community,
                        frameStart=tick,
                        durationMinutes=self.store.tick_minutes,
                        houses=houses,
                    )
                    for community, houses in sorted(energies[tick].items())
                ]
                payload = JudgedTick(events=events).model_dump_json() if events else None
                record = outbox.put_once(self.store.judged_key(tick), payload)

            def publish(payload: str) -> None:
                self.bus.publish(
                    Topic.ENERGY_OUTPUT_COMMUNITY, JudgedTick.model_validate_json(payload).events
                )

            if publish_once(outbox, self.store.judged_key(tick), record, publish, lease_ms):
                published.append(tick)
        return published

    def judge_move(self, move: ClockMove, delay_ticks: int, lease_ms: int) -> list[str]:
        """Judges the ticks a clock move closes (see `frames_to_close`: at most the last 60
        after a long jump; every reading of the others still counts in the days)."""
        return self.judge(frames_to_close(move, delay_ticks), lease_ms)

    def judged(self, tick_start: str) -> list[EnergyOutputCommunity] | None:
        """A tick's judgement as stored (None: not judged)."""
        record = self.store.judged.get(self.store.judged_key(tick_start))
        if record is None:
            return None
        return JudgedTick.model_validate_json(record.payload).events if record.payload else []
