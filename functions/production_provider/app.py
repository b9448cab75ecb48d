"""production-provider: the door through which producers' production enters the grid. A
reading with a negative energy is refused and reported on `reading.refused`."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path

from smartgrid.access import PRODUCER_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.bus import Bus
from smartgrid.observability import observability
from smartgrid.providers import ProviderSettings, Receipt, intake, reading_window, receipt
from smartgrid.readings import NegativeEnergy, ProductionBody, production_reading
from smartgrid.refusals import negative_production, report
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.producers import ProducersRepository

obs = observability()
app = GridApi("production-provider")


@app.post(
    "/producers/<producerId>/production",
    allow=(PRODUCER_SELF, STAFF),
    status_code=202,
    summary="Post a producer's production",
)
def post_production(
    producerId: Annotated[str, Path(min_length=3, max_length=64)], body: ProductionBody
) -> Receipt:
    settings = ProviderSettings.from_env()
    producer = ProducersRepository(settings.producers_table).require(producerId)
    house = ClientsRepository(settings.clients_table).get(producer.houseId) if producer.houseId else None
    community = house.communityId if house else None
    try:
        reading = production_reading(producer, body, settings.tick_minutes, community_id=community)
    except NegativeEnergy as error:
        report(Bus(), [negative_production(producer, community, error)])
        raise
    # Not checked against the producer's createdAt: that is wall-clock time, not the grid's.
    reading_window(settings).check(reading.timestamp, "body.timestamp")
    (outcome,) = intake(settings).submit([reading])
    return receipt(outcome, reading.timestamp)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
