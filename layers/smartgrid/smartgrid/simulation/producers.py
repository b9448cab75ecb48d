"""The `producers` service: simulated utility producers, real clients of the grid's API.

A producer registers through the API (`POST /producers`, with its limit) and is kept in
SimProducersTable with its token. On every move of the clock it reports its production
through the head-end (`POST /readings`): its setpoint from the production-adapter when it
has one (read-only, `smartgrid.stores.setpoints`), else its own production; never above its
limit. A change of limit goes to the grid too (`PATCH /producers/{id}` with its token), which
announces it on `production.limit`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from smartgrid.gridclient import GridClient
from smartgrid.gridtime import iso
from smartgrid.simulation.fleet import Kind, Outbox, ReportSummary, call_api
from smartgrid.simulation.producer import (
    LastReading,
    ProducerSpec,
    SimProducer,
    SimProducerChange,
    SimProducerState,
    effective_w,
    last_reading,
    production_mwh,
)
from smartgrid.simulation.timeline import ClockMove, report_intervals, span_to_report
from smartgrid.stores.simulation import SimulatorTable
from smartgrid.units import mwh_to_wh

R = TypeVar("R")
Setpoints = Callable[[str], float | None]


def setpoints_from(table_name: str | None) -> Setpoints:
    """Each producer's setpoint (W) from the production-adapter's table, read-only; without
    that table (a function not wired to it) no producer has a setpoint."""
    if not table_name:
        return lambda producer_id: None
    from smartgrid.stores.setpoints import ProducerSetpoints

    return ProducerSetpoints(table_name).get


class SimProducerView(BaseModel):
    producerId: str
    name: str
    productionLimitW: float
    productionW: float = Field(description="its own production, until the adapter gives a setpoint")
    setpointW: float | None = Field(None, description="the adapter's setpoint at its last report")
    actualW: float | None = Field(None, description="what it produced at its last report")
    reportedUntil: str | None = None
    lastReading: LastReading | None = None


def view(producer: SimProducer, state: SimProducerState | None) -> SimProducerView:
    return SimProducerView(
        producerId=producer.producerId,
        name=producer.name,
        productionLimitW=producer.productionLimitW,
        productionW=producer.productionW,
        setpointW=state.setpointW if state else None,
        actualW=state.actualW if state else None,
        reportedUntil=state.reportedUntil if state else None,
        lastReading=state.lastReading if state else None,
    )


ProducerTable = SimulatorTable[SimProducer, SimProducerState]


def producer_table(table_name: str) -> ProducerTable:
    return SimulatorTable(table_name, "producerId", SimProducer, SimProducerState, "producer")


class ProducerFleet:
    def __init__(self, table: ProducerTable, client: Callable[[], GridClient]) -> None:
        self.table = table
        self._client = client

    def _api(self, call: Callable[[GridClient], R]) -> R:
        return call_api(self._client, call)

    def create(self, spec: ProducerSpec) -> SimProducerView:
        registered = self._api(lambda api: api.register_producer(spec.name, spec.productionLimitW))
        now = self._api(lambda api: api.clock())
        producer = SimProducer(
            producerId=registered.id,
            name=spec.name,
            token=registered.token,
            productionLimitW=spec.productionLimitW,
            productionW=spec.productionW,
            createdAt=iso(datetime.now(UTC)),
        )
        state = SimProducerState(reportedUntil=now)
        self.table.create(producer.producerId, producer, state)
        return view(producer, state)

    def view(self, producer_id: str) -> SimProducerView:
        entry = self.table.require(producer_id)
        return view(entry.spec, entry.state)

    def change(self, producer_id: str, change: SimProducerChange) -> SimProducerView:
        entry = self.table.require(producer_id)
        producer = entry.spec
        update: dict[str, float] = {}
        if change.productionW is not None:
            update["productionW"] = change.productionW
        if change.productionLimitW is not None and change.productionLimitW != producer.productionLimitW:
            limit = change.productionLimitW
            self._api(lambda api: api.change_producer_limit(producer.producerId, producer.token, limit))
            update["productionLimitW"] = limit
        changed = producer.model_copy(update=update)
        self.table.put_spec(producer_id, changed, entry.version)
        return view(changed, entry.state)

    def report(self, move: ClockMove, setpoints: Setpoints) -> ReportSummary:
        """Every producer reports its production over what is left of the move for it."""
        summary = ReportSummary()
        outbox: Outbox[SimProducerState] = Outbox(self._client, self.table.save_states)
        produced = 0
        for entry in self.table.all():
            state = entry.state or SimProducerState(reportedUntil=move.previous)
            span = span_to_report(move, state.reportedUntil)
            if span is None:
                continue
            producer = entry.spec
            setpoint = setpoints(producer.producerId)
            watts = effective_w(producer.productionW, setpoint, producer.productionLimitW)
            bodies: list[tuple[Kind, Mapping[str, Any]]] = []
            last = state.lastReading
            for interval in report_intervals(span[0], span[1], move.tickMinutes):
                mwh = production_mwh(watts, interval)
                produced += mwh
                bodies.append(
                    (
                        "production",
                        {
                            "producerId": producer.producerId,
                            "timestamp": interval.timestamp,
                            "durationMinutes": interval.minutes,
                            "wh": mwh_to_wh(mwh),
                        },
                    )
                )
                last = last_reading(interval, mwh)
            following = SimProducerState(
                reportedUntil=move.now, setpointW=setpoint, actualW=watts, lastReading=last
            )
            outbox.add(entry.id, bodies, following)
            summary.sources += 1
            summary.readings += len(bodies)
        outcome = outbox.close()
        summary.productionWh = mwh_to_wh(produced)
        summary.accepted, summary.duplicates, summary.refused = (
            outcome.accepted,
            outcome.duplicates,
            outcome.refused,
        )
        summary.refusals = outcome.reasons
        return summary
