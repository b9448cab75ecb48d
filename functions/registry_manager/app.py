"""registry-manager: the communities houses are grouped in, and their members."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from smartgrid.access import STAFF
from smartgrid.api import GridApi
from smartgrid.errors import NotFound
from smartgrid.models import Community
from smartgrid.observability import observability
from smartgrid.settings import EnvSettings
from smartgrid.stores.communities import CommunitiesRepository

obs = observability()
app = GridApi("registry-manager")


class Settings(EnvSettings):
    communities_table: str = Field(alias="COMMUNITIES_TABLE")


class CommunityList(BaseModel):
    communities: list[Community]


class CommunityView(Community):
    houses: list[str]


def communities() -> CommunitiesRepository:
    return CommunitiesRepository(Settings.from_env().communities_table)


@app.get("/communities", allow=STAFF, summary="Every community")
def list_communities() -> CommunityList:
    return CommunityList(communities=communities().all())


@app.get("/communities/<communityId>", allow=STAFF, summary="A community and its houses")
def get_community(communityId: Annotated[str, Path(min_length=3, max_length=64)]) -> CommunityView:
    repository = communities()
    community = repository.get(communityId)
    if community is None:
        raise NotFound(f"no community {communityId}", field="communityId")
    return CommunityView(**community.model_dump(), houses=repository.members(communityId))


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
