"""battery-provider's door for states: each judged against the battery's latest accepted
state, stored, then published on `battery.state`.

A battery's states in one request are judged in order, each against the one before (so a
long jump's hourly states go in one batch), and stored together. Accepted and duplicate
states are published: a duplicate may be the retry of a post whose publish failed, and the
consumers of `battery.state` are idempotent (a state is a value at an instant). A state that
breaks physics is refused and reported on `reading.refused` (a faulty meter, story 21).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from smartgrid.batteries import PhysicsViolation, State, Verdict, judge
from smartgrid.bus import Bus
from smartgrid.errors import Conflict, GridError, NotFound
from smartgrid.events import BatteryState, ReadingRefused, Topic
from smartgrid.gridtime import iso
from smartgrid.refusals import report
from smartgrid.stores.batteries import BatteriesRepository, BatteryRecord, StateMoved

ATTEMPTS = 3  # re-judged from a fresh read when another writer moved the battery meanwhile


@dataclass
class StateOutcome:
    status: Literal["accepted", "duplicate", "refused"]
    error: GridError | None = None


@dataclass(frozen=True)
class Posted:
    batteryId: str
    state: State


class BatteryIntake:
    def __init__(self, repository: BatteriesRepository, bus: Bus, now: datetime) -> None:
        self.repository = repository
        self.bus = bus
        self.now = now

    def submit(self, posted: Sequence[Posted]) -> list[StateOutcome]:
        """Each state's outcome, in order."""
        outcomes: list[StateOutcome] = [StateOutcome("refused") for _ in posted]
        by_battery: dict[str, list[int]] = defaultdict(list)
        for index, item in enumerate(posted):
            by_battery[item.batteryId].append(index)
        records = self.repository.get_many(by_battery)
        published: list[BatteryState] = []
        refused: list[ReadingRefused] = []
        for battery_id, indices in by_battery.items():
            record = records.get(battery_id)
            if record is None:
                missing = NotFound(f"no battery {battery_id}", field="batteryId")
                for index in indices:
                    outcomes[index] = StateOutcome("refused", missing)
                continue
            states = [posted[i].state for i in indices]
            for index, outcome in zip(indices, self._battery(record, states), strict=True):
                outcomes[index] = outcome
                if isinstance(outcome.error, PhysicsViolation):
                    refused.append(
                        ReadingRefused(
                            kind="battery",
                            reason="battery-physics",
                            houseId=record.houseId,
                            batteryId=battery_id,
                            timestamp=iso(posted[index].state.at),
                            detail=outcome.error.message,
                        )
                    )
                if outcome.status != "refused":
                    published.append(
                        BatteryState(
                            batteryId=battery_id,
                            houseId=record.houseId,
                            timestamp=iso(posted[index].state.at),
                            storedMwh=posted[index].state.mwh,
                        )
                    )
        self.bus.publish(Topic.BATTERY_STATE, published)
        report(self.bus, refused)
        return outcomes

    def _battery(self, record: BatteryRecord, states: list[State]) -> list[StateOutcome]:
        for _ in range(ATTEMPTS):
            outcomes, accepted = self._judge(record, states)
            try:
                if accepted:
                    self.repository.record(record.batteryId, record.latest, accepted)
                return outcomes
            except StateMoved:
                record = self.repository.require(record.batteryId)
        moved = Conflict("the battery's state changed meanwhile: post again", field="timestamp")
        return [StateOutcome("refused", moved) for _ in states]

    def _judge(self, record: BatteryRecord, states: list[State]) -> tuple[list[StateOutcome], list[State]]:
        latest = record.latest
        older = [s.at for s in states if latest is not None and s.at < latest.at]
        known = self.repository.stored_at(record.batteryId, older) if older else {}
        outcomes: list[StateOutcome] = []
        accepted: list[State] = []
        running = latest
        for state in states:
            try:
                verdict = judge(record.spec, running, state, known.get(state.at), self.now)
            except GridError as error:
                outcomes.append(StateOutcome("refused", error))
                continue
            if verdict is Verdict.ACCEPTED:
                accepted.append(state)
                known[state.at] = state.mwh
                running = state
                outcomes.append(StateOutcome("accepted"))
            else:
                outcomes.append(StateOutcome("duplicate"))
        return outcomes, accepted
