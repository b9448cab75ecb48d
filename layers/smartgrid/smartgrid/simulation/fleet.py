"""What both fleets (houses, producers) share: calling the API, and posting readings as a
head-end does, saving each device's state once its readings (and battery states) are all in (batches of at most
MAX_BATCH readings, memory bounded whatever the jump). A long jump's readings are posted
one per source and day but for the last day (see `compaction`): the same energies in a
twenty-fourth of the readings.

A device's state (what it has reported up to) is saved only after every one of its readings
was accepted by the API; if the function fails half-way and runs again, the devices already
saved are skipped and the others post the same readings again (duplicates, counted once).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from smartgrid.errors import GridError
from smartgrid.gridclient import BatchOutcome, GridClient, GridClientError
from smartgrid.readings import MAX_BATCH
from smartgrid.simulation.compaction import Kind, compact

T = TypeVar("T", bound=BaseModel)


R = TypeVar("R")


class GridApiError(GridError):
    """The grid's API refused or failed a call the simulator made on a device's behalf."""

    status = 502
    code = "grid_api_error"


def call_api(client: Callable[[], GridClient], call: Callable[[GridClient], R]) -> R:
    """A call to the grid's API; its failure is the simulator's 502 (it is a gateway)."""
    try:
        return call(client())
    except GridClientError as error:
        raise GridApiError(f"the grid's API: {error}") from error


class ReportSummary(BaseModel):
    """What a report sent: for the logs, and the handler's answer."""

    sources: int = 0
    readings: int = 0
    consumptionWh: float = 0.0
    productionWh: float = 0.0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    refusals: list[str] = []


class Outbox(Generic[T]):
    def __init__(
        self,
        client: Callable[[], GridClient],
        save: Callable[[Mapping[str, T]], None],
        batch: int = MAX_BATCH,
    ) -> None:
        self._client = client
        self._save = save
        self._batch = batch
        self._pending: list[tuple[Kind, Mapping[str, Any]]] = []
        self._queued = 0  # readings added so far
        self._posted = 0  # readings posted so far
        self._waiting: deque[tuple[int, str, T]] = deque()  # (readings up to its last, id, state)
        self.outcome = BatchOutcome()

    def add(self, source_id: str, readings: Sequence[tuple[Kind, Mapping[str, Any]]], state: T) -> None:
        """Queues a source's readings of a report (a long jump's days compacted, see
        `compaction`), and the state to save once they are all posted."""
        readings = compact(readings)
        self._pending.extend(readings)
        self._queued += len(readings)
        self._waiting.append((self._queued, source_id, state))
        while len(self._pending) >= self._batch:
            self._post(self._batch)

    def close(self) -> BatchOutcome:
        if self._pending:
            self._post(len(self._pending))
        self._save_ready()
        return self.outcome

    def _post(self, count: int) -> None:
        chunk, self._pending = self._pending[:count], self._pending[count:]
        consumption = [body for kind, body in chunk if kind == "consumption"]
        production = [body for kind, body in chunk if kind == "production"]
        batteries = [body for kind, body in chunk if kind == "battery"]
        answers = []
        if consumption or production:
            answers.append(self._client().post_readings(consumption, production))
        if batteries:
            answers.append(self._client().post_battery_states(batteries))
        for answer in answers:
            self.outcome.batches += answer.batches
            self.outcome.accepted += answer.accepted
            self.outcome.duplicates += answer.duplicates
            self.outcome.refused += answer.refused
            self.outcome.reasons.extend(answer.reasons[: max(0, 5 - len(self.outcome.reasons))])
        self._posted += count
        self._save_ready()

    def _save_ready(self) -> None:
        ready: dict[str, T] = {}
        while self._waiting and self._waiting[0][0] <= self._posted:
            _, source_id, state = self._waiting.popleft()
            ready[source_id] = state
        if ready:
            self._save(ready)
