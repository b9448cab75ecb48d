"""registry-manager, RegisterHouse workflow step: the house joins the nearest community with
room within the radius, or opens a new one. Idempotent: a retried step finds the seat taken."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from smartgrid.geo import nearest_with_room
from smartgrid.ids import COMMUNITY_PREFIX, new_id
from smartgrid.models import Community, Location
from smartgrid.observability import observability
from smartgrid.settings import EnvSettings
from smartgrid.stores.communities import CommunitiesRepository, SeatTaken

obs = observability()
ATTEMPTS = 8


class Settings(EnvSettings):
    communities_table: str = Field(alias="COMMUNITIES_TABLE")
    community_capacity: int = Field(alias="COMMUNITY_CAPACITY", ge=1)
    community_radius_km: float = Field(alias="COMMUNITY_RADIUS_KM", gt=0)


class AssignCommunity(BaseModel):
    houseId: str
    location: Location


def assign(step: AssignCommunity, settings: Settings) -> str:
    communities = CommunitiesRepository(settings.communities_table)
    for _ in range(ATTEMPTS):
        already = communities.community_of(step.houseId)
        if already:
            return already
        chosen = nearest_with_room(step.location, communities.with_room(), settings.community_radius_km)
        try:
            if chosen is not None:
                communities.join(chosen, step.houseId)
                return chosen.communityId
            opened = Community(
                communityId=new_id(COMMUNITY_PREFIX),
                location=step.location,
                capacity=settings.community_capacity,
                members=1,
            )
            communities.open(opened, step.houseId)
            obs.logger.info("community opened", extra={"communityId": opened.communityId})
            return opened.communityId
        except SeatTaken:
            continue  # someone took the last seat, or this step ran before: look again
    raise SeatTaken(f"no seat found for {step.houseId} after {ATTEMPTS} attempts")


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = AssignCommunity.model_validate(event)
    return {"communityId": assign(step, Settings.from_env())}
