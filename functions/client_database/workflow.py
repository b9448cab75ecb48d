"""client-database, RegisterHouse workflow step: record the house's community; it is active."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from smartgrid.observability import observability
from smartgrid.settings import AuthSettings
from smartgrid.stores.clients import ClientsRepository

obs = observability()


class CompleteRegistration(BaseModel):
    houseId: str
    communityId: str


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = CompleteRegistration.model_validate(event)
    house = ClientsRepository(AuthSettings.from_env().clients_table).complete_registration(
        step.houseId, step.communityId
    )
    return house.public().model_dump(mode="json")
