"""autarky-api: is a house (the house itself or staff), or a community (staff), autarkic?

Reads autarky-oversight's table (read-only). The answer is as of the last tick judged for
the house's community: its state then, and the sums of the window that ends with that tick.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from smartgrid.access import HOUSE_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.autarky import COMMUNITY, HOUSE, Window, subject_key
from smartgrid.clockservice import ClockReaderSettings, grid_now
from smartgrid.errors import NotFound
from smartgrid.gridtime import floor_to_tick, parse_instant
from smartgrid.observability import observability
from smartgrid.oversight import AutarkySettings
from smartgrid.settings import AuthSettings
from smartgrid.stores.autarky import AutarkyStore
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.communities import CommunitiesRepository
from smartgrid.units import mwh_to_wh

obs = observability()
app = GridApi("autarky-api")

HouseId = Annotated[str, Path(min_length=3, max_length=64)]
CommunityId = Annotated[str, Path(min_length=3, max_length=64)]

RULE = (
    "Autarkic: its own production over the window (production, plus what its battery gave back, "
    "minus what it stored; energy bought from the grid never counts; a community's is its "
    "houses', together) covers its consumption. It becomes autarkic when that coverage reaches "
    "100 %, and stops being so when it falls below 100 % minus AutarkyLossPercent (97 % by "
    "default): a window hovering around 100 % does not flap. The window is the last "
    "AutarkyWindowMinutes (60 by default) up to the last tick judged (t-5), rolling."
)


class Settings(AuthSettings, ClockReaderSettings, AutarkySettings):
    communities_table: str = Field(alias="COMMUNITIES_TABLE")


class WindowView(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    minutes: int
    from_: str = Field(alias="from", serialization_alias="from", description="the window's first instant")
    to: str = Field(description="the window's end: the end of the last tick judged")


class AutarkyView(BaseModel):
    kind: Literal["house", "community"]
    id: str
    autarkic: bool
    since: str | None = Field(description="when the current state began (null: not autarkic since the start)")
    productionWh: float = Field(description="own production over the window (battery net included)")
    consumptionWh: float
    coveragePercent: float | None = Field(description="production / consumption (null: nothing consumed)")
    window: WindowView


def view(
    settings: Settings, kind: Literal["house", "community"], subject_id: str, community_id: str | None
) -> AutarkyView:
    store = AutarkyStore(settings.autarky_table)
    oversight = settings.oversight()
    cursor = store.cursor(community_id) if community_id else None
    if cursor is not None:
        last = cursor.through
    else:  # nothing judged yet: the hour up to the grid's last whole tick
        now = floor_to_tick(parse_instant(grid_now(settings)), settings.tick_minutes)
        last = now - timedelta(minutes=settings.tick_minutes)
    window = Window(last, oversight.window_ticks, settings.tick_minutes)
    subject = subject_key(HOUSE if kind == "house" else COMMUNITY, subject_id)
    sums = window.sum(store.energies([subject], window.first, window.last).get(subject, {}))
    state = store.state(subject)
    return AutarkyView(
        kind=kind,
        id=subject_id,
        autarkic=state.autarkic,
        since=state.since,
        productionWh=mwh_to_wh(sums.supply),
        consumptionWh=mwh_to_wh(sums.consumption),
        coveragePercent=sums.coverage_percent(),
        window=WindowView(minutes=window.minutes, from_=window.start, to=window.end),
    )


@app.get(
    "/houses/<houseId>/autarky", allow=(HOUSE_SELF, STAFF), summary="Is the house autarkic?", description=RULE
)
def house_autarky(houseId: HouseId) -> AutarkyView:
    settings = Settings.from_env()
    house = ClientsRepository(settings.clients_table).require(houseId)
    return view(settings, "house", houseId, house.communityId)


@app.get(
    "/communities/<communityId>/autarky", allow=STAFF, summary="Is the community autarkic?", description=RULE
)
def community_autarky(communityId: CommunityId) -> AutarkyView:
    settings = Settings.from_env()
    if CommunitiesRepository(settings.communities_table).get(communityId) is None:
        raise NotFound(f"no community {communityId}", field="communityId")
    return view(settings, "community", communityId, communityId)


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
