"""consumption-provider: the door through which consumption enters the grid.

A house posts its reading for a tick; a head-end posts batches of readings (consumption and
production) for many houses and producers. Each reading is recorded once in the ledger and
published on `consumption.raw.detailed` (production on `production.raw.global`). A reading
with a negative energy is refused (alone, in a batch) and reported on `reading.refused`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from smartgrid.access import HOUSE_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.bus import Bus
from smartgrid.errors import GridError, Unprocessable
from smartgrid.events import DetailedConsumptionReading, ProductionReading, ReadingRefused
from smartgrid.observability import observability
from smartgrid.providers import ProviderSettings, Receipt, intake, reading_window, receipt
from smartgrid.readings import (
    MAX_BATCH,
    ConsumptionBody,
    HeadEndBatch,
    NegativeEnergy,
    consumption_reading,
    production_reading,
)
from smartgrid.refusals import negative_consumption, negative_production, report
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.ledger import Outcome
from smartgrid.stores.producers import ProducersRepository

obs = observability()
app = GridApi("consumption-provider")


class ReadingResult(BaseModel):
    kind: Literal["consumption", "production"]
    index: int = Field(description="position in its list of the request")
    status: Literal["accepted", "duplicate", "refused"]
    reason: str | None = None


class BatchReceipt(BaseModel):
    accepted: int
    duplicates: int
    refused: int
    results: list[ReadingResult]


@app.post(
    "/houses/<houseId>/consumption",
    allow=(HOUSE_SELF, STAFF),
    status_code=202,
    summary="Post a house's consumption",
)
def post_consumption(
    houseId: Annotated[str, Path(min_length=3, max_length=64)], body: ConsumptionBody
) -> Receipt:
    settings = ProviderSettings.from_env()
    house = ClientsRepository(settings.clients_table).require(houseId)
    try:
        reading = consumption_reading(houseId, body, settings.tick_minutes, community_id=house.communityId)
    except NegativeEnergy as error:
        report(Bus(), [negative_consumption(houseId, house.communityId, error)])
        raise
    reading_window(settings).check(reading.timestamp, "body.timestamp", house.registeredAt)
    (outcome,) = intake(settings).submit([reading])
    return receipt(outcome, reading.timestamp)


@app.post("/readings", allow=STAFF, status_code=202, summary="A head-end's batch of readings")
def post_readings(batch: HeadEndBatch) -> BatchReceipt:
    settings = ProviderSettings.from_env()
    if len(batch.consumption) + len(batch.production) > MAX_BATCH:
        raise Unprocessable(f"at most {MAX_BATCH} readings a batch", field="body")
    known_producers = ProducersRepository(settings.producers_table).get_many(
        [r.producerId for r in batch.production]
    )
    # Each house's community (None while it registers), for consumers and house producers alike.
    placements = ClientsRepository(settings.clients_table).placements(
        [r.houseId for r in batch.consumption] + [p.houseId for p in known_producers.values() if p.houseId]
    )
    known_houses = {house: community for house, (community, _) in placements.items()}
    window = reading_window(settings)
    results: list[ReadingResult] = []
    readings: list[DetailedConsumptionReading | ProductionReading] = []
    refused: list[ReadingRefused] = []  # impossible readings, told to the malfunction detector
    placed: list[int] = []  # index in `results` of each reading sent to the intake
    for index, item in enumerate(batch.consumption):
        try:
            if item.houseId not in known_houses:
                raise Unprocessable(f"no house {item.houseId}", field="houseId")
            reading = consumption_reading(
                item.houseId, item, settings.tick_minutes, f"consumption.{index}", known_houses[item.houseId]
            )
            window.check(reading.timestamp, f"consumption.{index}.timestamp", placements[item.houseId][1])
            readings.append(reading)
            placed.append(len(results))
            results.append(ReadingResult(kind="consumption", index=index, status="accepted"))
        except GridError as error:
            if isinstance(error, NegativeEnergy):
                refused.append(negative_consumption(item.houseId, known_houses[item.houseId], error))
            results.append(
                ReadingResult(kind="consumption", index=index, status="refused", reason=error.message)
            )
    for index, produced in enumerate(batch.production):
        producer = known_producers.get(produced.producerId)
        community = known_houses.get(producer.houseId) if producer and producer.houseId else None
        try:
            if producer is None:
                raise Unprocessable(f"no producer {produced.producerId}", field="producerId")
            production = production_reading(
                producer, produced, settings.tick_minutes, f"production.{index}", community
            )
            window.check(production.timestamp, f"production.{index}.timestamp")
            readings.append(production)
            placed.append(len(results))
            results.append(ReadingResult(kind="production", index=index, status="accepted"))
        except GridError as error:
            if isinstance(error, NegativeEnergy) and producer is not None:
                refused.append(negative_production(producer, community, error))
            results.append(
                ReadingResult(kind="production", index=index, status="refused", reason=error.message)
            )
    report(Bus(), refused)
    for position, outcome in zip(placed, intake(settings).submit(readings), strict=True):
        if outcome is Outcome.DUPLICATE:
            results[position].status = "duplicate"
        elif outcome is Outcome.CONFLICT:
            results[position].status = "refused"
            results[position].reason = "a different reading for this tick was received before"
    obs.metrics.add_metric(name="ReadingsReceived", unit="Count", value=len(readings))
    return BatchReceipt(
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
