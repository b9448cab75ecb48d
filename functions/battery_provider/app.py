"""battery-provider: the door through which batteries enter the grid (story 15).

A house that produces registers its battery (`battery.subscription`, published once); the
house, staff or the head-end post its states (`battery.state`), each judged against the
battery's latest accepted state (capacity, rates, time order) and stored before it is
published. The battery service reads what is stored here (see `stores.batteries`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from smartgrid.access import HOUSE_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.batteries import (
    BATTERY_OWNER,
    BatteryRegistration,
    BatteryView,
    State,
    StateBody,
    StatesBatch,
    battery_id_of,
    stored_wh,
)
from smartgrid.batteryintake import BatteryIntake, Posted
from smartgrid.bus import Bus
from smartgrid.clockservice import ClockReaderSettings, grid_now
from smartgrid.errors import Conflict
from smartgrid.events import BatterySubscription, Topic
from smartgrid.gridtime import floor_to_tick, iso, parse_instant
from smartgrid.observability import observability
from smartgrid.settings import AuthSettings
from smartgrid.stores.batteries import BatteriesRepository, BatteryRecord, info_key
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.outbox import lease_for, publish_once
from smartgrid.stores.producers import ProducersRepository
from smartgrid.units import mwh_to_wh, wh_to_mwh

obs = observability()
app = GridApi("battery-provider")

HouseId = Annotated[str, Path(min_length=3, max_length=64)]
BatteryId = Annotated[str, Path(min_length=3, max_length=70)]


class Settings(AuthSettings, ClockReaderSettings):
    batteries_table: str = Field(alias="BATTERIES_TABLE")


class StateReceipt(BaseModel):
    batteryId: str
    status: Literal["accepted", "duplicate"] = Field(description="duplicate: the same state was sent before")
    timestamp: str = Field(description="the tick boundary the state is filed under")
    storedWh: float


class StateResult(BaseModel):
    index: int = Field(description="position in the request's states")
    batteryId: str
    status: Literal["accepted", "duplicate", "refused"]
    reason: str | None = None


class StatesReceipt(BaseModel):
    accepted: int
    duplicates: int
    refused: int
    results: list[StateResult]


def _publish_subscription(payload: str) -> None:
    Bus().publish(Topic.BATTERY_SUBSCRIPTION, [BatterySubscription.model_validate_json(payload)])


def _intake(settings: Settings) -> BatteryIntake:
    now = parse_instant(grid_now(settings))
    return BatteryIntake(BatteriesRepository(settings.batteries_table), Bus(), now)


def _posted(battery_id: str, body: StateBody, tick_minutes: int) -> Posted:
    at = floor_to_tick(parse_instant(body.timestamp.isoformat()), tick_minutes)
    return Posted(battery_id, State(at, stored_wh(body)))


@app.post(
    "/houses/<houseId>/battery",
    allow=(HOUSE_SELF, STAFF),
    status_code=201,
    summary="Fit a battery to a house that produces (one a house)",
)
def register_battery(houseId: HouseId, registration: BatteryRegistration) -> BatteryView:
    settings = Settings.from_env()
    ClientsRepository(settings.clients_table).require(houseId)
    if ProducersRepository(settings.producers_table).of_house(houseId) is None:
        raise Conflict(
            f"house {houseId} does not produce: it becomes a producer first (POST /houses/{houseId}/producer)",
            field="houseId",
        )
    record = BatteryRecord(
        batteryId=battery_id_of(houseId),
        houseId=houseId,
        capacityMwh=wh_to_mwh(registration.capacityWh),
        maxChargeW=registration.maxChargeW,
        maxDischargeW=registration.maxDischargeW,
        registeredAt=grid_now(settings),
    )
    subscription = BatterySubscription(
        batteryId=record.batteryId,
        houseId=houseId,
        capacityMwh=record.capacityMwh,
        maxChargeW=record.maxChargeW,
        maxDischargeW=record.maxDischargeW,
        timestamp=record.registeredAt,
    )
    repository = BatteriesRepository(settings.batteries_table)
    key = info_key(record.batteryId)
    try:
        repository.create(record, subscription.model_dump_json())
    except Conflict as taken:
        # A first registration that crashed before publishing is published now, once.
        stored = repository.outbox.get(key)
        if stored is not None:
            publish_once(repository.outbox, key, stored, _publish_subscription, lease_for(app.lambda_context))
        raise Conflict(
            f"house {houseId} has a battery already: {record.batteryId}", field="houseId"
        ) from taken
    stored = repository.outbox.get(key)
    if stored is not None:
        publish_once(repository.outbox, key, stored, _publish_subscription, lease_for(app.lambda_context))
    return record.view()


@app.post(
    "/batteries/<batteryId>/state",
    allow=(BATTERY_OWNER, STAFF),
    status_code=202,
    summary="What a battery holds at a tick boundary (checked against its capacity and rates)",
)
def post_state(batteryId: BatteryId, body: StateBody) -> StateReceipt:
    settings = Settings.from_env()
    posted = _posted(batteryId, body, settings.tick_minutes)
    (outcome,) = _intake(settings).submit([posted])
    if outcome.error is not None:
        raise outcome.error
    status: Literal["accepted", "duplicate"] = "accepted" if outcome.status == "accepted" else "duplicate"
    return StateReceipt(
        batteryId=batteryId,
        status=status,
        timestamp=iso(posted.state.at),
        storedWh=mwh_to_wh(posted.state.mwh),
    )


@app.post("/batteries/states", allow=STAFF, status_code=202, summary="A head-end's batch of battery states")
def post_states(batch: StatesBatch) -> StatesReceipt:
    settings = Settings.from_env()
    posted = [_posted(item.batteryId, item, settings.tick_minutes) for item in batch.states]
    outcomes = _intake(settings).submit(posted)
    results = [
        StateResult(
            index=index,
            batteryId=item.batteryId,
            status=outcome.status,
            reason=outcome.error.message if outcome.error else None,
        )
        for index, (item, outcome) in enumerate(zip(batch.states, outcomes, strict=True))
    ]
    obs.metrics.add_metric(name="BatteryStatesReceived", unit="Count", value=len(posted))
    return StatesReceipt(
        accepted=sum(r.status == "accepted" for r in results),
        duplicates=sum(r.status == "duplicate" for r in results),
        refused=sum(r.status == "refused" for r in results),
        results=results,
    )


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
@obs.metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
