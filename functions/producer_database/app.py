"""producer-database: utility producers (with a production limit) and houses that produce.

A producer's limit, set at registration or changed later, is announced on `production.limit`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field, model_validator

from smartgrid.access import ANYONE, HOUSE_SELF, PRODUCER_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.bus import Bus
from smartgrid.clockservice import ClockReaderSettings, grid_now
from smartgrid.errors import Conflict, Unprocessable
from smartgrid.events import ProductionLimit, Topic
from smartgrid.gridtime import iso
from smartgrid.ids import PRODUCER_PREFIX, new_id, new_token, token_sha256
from smartgrid.models import Producer, ProducerKind, ProducerRecord, Strict
from smartgrid.observability import observability
from smartgrid.settings import AuthSettings
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.producers import ProducersRepository

obs = observability()
app = GridApi("producer-database")

DEFAULT_LIMIT_W = 10_000.0
Name = Annotated[str, Field(min_length=1, max_length=100)]
LimitW = Annotated[
    float, Field(gt=0, le=10_000_000_000, allow_inf_nan=False, description="production limit (W)")
]
ProducerId = Annotated[str, Path(min_length=3, max_length=64)]


class ProducerRegistration(Strict):
    name: Name
    productionLimitW: LimitW = DEFAULT_LIMIT_W


class ProducerChange(Strict):
    name: Name | None = None
    productionLimitW: LimitW | None = None

    @model_validator(mode="after")
    def _something(self) -> ProducerChange:
        if self.name is None and self.productionLimitW is None:
            raise ValueError("give name or productionLimitW")
        return self


class ProducerRegistered(BaseModel):
    producerId: str
    token: str = Field(description="the producer's bearer token: shown once, stored only as a hash")


class HouseProducer(BaseModel):
    producerId: str


class ProducerList(BaseModel):
    producers: list[Producer]


def producers() -> ProducersRepository:
    return ProducersRepository(AuthSettings.from_env().producers_table)


def now() -> str:
    return iso(datetime.now(UTC))


def announce_limit(producer: ProducerRecord) -> None:
    if producer.productionLimitW is not None:
        stamp = grid_now(ClockReaderSettings.from_env())
        event = ProductionLimit(
            producerId=producer.producerId, limitW=producer.productionLimitW, timestamp=stamp
        )
        Bus().publish(Topic.PRODUCTION_LIMIT, [event])


@app.post("/producers", allow=ANYONE, status_code=201, summary="Register a utility producer")
def register_producer(registration: ProducerRegistration) -> ProducerRegistered:
    producer_id = new_id(PRODUCER_PREFIX)
    token = new_token(producer_id)
    record = ProducerRecord(
        producerId=producer_id,
        name=registration.name,
        kind=ProducerKind.UTILITY,
        productionLimitW=registration.productionLimitW,
        createdAt=now(),
        tokenSha256=token_sha256(token),
    )
    repository = producers()
    repository.create(record)
    try:
        announce_limit(record)
    except Exception:
        repository.delete(producer_id)  # nothing is kept half-way
        raise
    return ProducerRegistered(producerId=producer_id, token=token)


@app.get("/producers", allow=STAFF, summary="Every producer")
def list_producers() -> ProducerList:
    return ProducerList(producers=[p.public() for p in producers().all()])


@app.get("/producers/<producerId>", allow=(PRODUCER_SELF, STAFF), summary="A producer")
def get_producer(producerId: ProducerId) -> Producer:
    return producers().require(producerId).public()


@app.patch(
    "/producers/<producerId>", allow=(PRODUCER_SELF, STAFF), summary="Rename a producer or change its limit"
)
def change_producer(producerId: ProducerId, change: ProducerChange) -> Producer:
    repository = producers()
    current = repository.require(producerId)
    if change.productionLimitW is not None and current.kind is ProducerKind.HOUSE:
        raise Unprocessable("a house's production has no limit to set", field="productionLimitW")
    changed = repository.update(producerId, name=change.name, limit_w=change.productionLimitW)
    if change.productionLimitW is not None:
        announce_limit(changed)
    return changed.public()


@app.post(
    "/houses/<houseId>/producer",
    allow=(HOUSE_SELF, STAFF),
    status_code=201,
    summary="The house becomes a local producer",
    responses={
        201: {"description": "the house became a producer"},
        200: {"description": "it already was one"},
    },
)
def house_becomes_producer(houseId: Annotated[str, Path(min_length=3, max_length=64)]) -> Any:
    settings = AuthSettings.from_env()
    ClientsRepository(settings.clients_table).require(houseId)
    repository = ProducersRepository(settings.producers_table)
    # One producer per house, with an id derived from the house: concurrent calls agree.
    record = ProducerRecord(
        producerId=f"{PRODUCER_PREFIX}{houseId}",
        name=f"house {houseId}",
        kind=ProducerKind.HOUSE,
        houseId=houseId,
        createdAt=now(),
    )
    try:
        repository.create(record)
    except Conflict:
        return Response(
            status_code=200,
            content_type=content_types.APPLICATION_JSON,
            body=HouseProducer(producerId=record.producerId).model_dump_json(),
        )
    return HouseProducer(producerId=record.producerId)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
