"""daily-real-energy-output: a house's, a community's real energy per day over a period, and
the surplus houses sold to the grid, read from the days real-energy-output keeps (every late
reading in; bought and sold summed tick by tick)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from smartgrid.access import HOUSE_SELF, STAFF, UTILITY_PRODUCER
from smartgrid.api import GridApi
from smartgrid.energy import total
from smartgrid.errors import NotFound
from smartgrid.events import HouseEnergy
from smartgrid.observability import observability
from smartgrid.periods import Day, PeriodEnd, PeriodStart, date_or_period, iso_days, period_days
from smartgrid.settings import AuthSettings
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.communities import CommunitiesRepository
from smartgrid.stores.daily import UNASSIGNED
from smartgrid.stores.energy import EnergyStore, community_owner
from smartgrid.units import mwh_to_wh

obs = observability()
app = GridApi("daily-real-energy-output")

HouseId = Annotated[str, Path(min_length=3, max_length=64)]
CommunityId = Annotated[str, Path(min_length=3, max_length=64)]


class Settings(AuthSettings):
    energy_table: str = Field(alias="ENERGY_TABLE")
    communities_table: str = Field(alias="COMMUNITIES_TABLE")
    tick_minutes: int = Field(1, alias="TICK_MINUTES", ge=1, le=60)


class EnergyWh(BaseModel):
    consumedWh: float
    producedWh: float
    batteryChargeWh: float
    batteryDischargeWh: float
    boughtWh: float = Field(description="taken from the grid, summed tick by tick")
    soldWh: float = Field(description="surplus given to the grid, summed tick by tick")
    netWh: float = Field(description="produced - consumed")


class DayEnergy(EnergyWh):
    date: str


class PeriodEnergy(EnergyWh):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    days: list[DayEnergy]


class HouseEnergyPeriod(PeriodEnergy):
    houseId: str


class CommunityEnergyPeriod(PeriodEnergy):
    communityId: str


class SurplusDay(BaseModel):
    date: str
    soldWh: float


class CommunitySurplus(BaseModel):
    communityId: str
    soldWh: float
    days: list[SurplusDay]


class GridSurplus(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    soldWh: float = Field(description="what houses sold to the grid over the period")
    days: list[SurplusDay]
    communities: list[CommunitySurplus] = Field(description="communities whose houses sold, most first")


def in_wh(energy: HouseEnergy) -> dict[str, float]:
    return {
        "consumedWh": mwh_to_wh(energy.consumptionMwh),
        "producedWh": mwh_to_wh(energy.productionMwh),
        "batteryChargeWh": mwh_to_wh(energy.batteryChargeMwh),
        "batteryDischargeWh": mwh_to_wh(energy.batteryDischargeMwh),
        "boughtWh": mwh_to_wh(energy.boughtMwh),
        "soldWh": mwh_to_wh(energy.soldMwh),
        "netWh": mwh_to_wh(energy.productionMwh - energy.consumptionMwh),
    }


def period(days: dict[str, HouseEnergy]) -> dict[str, Any]:
    dates = list(days)
    return {
        "from_": dates[0],
        "to": dates[-1],
        **in_wh(total(days.values())),
        "days": [DayEnergy(date=d, **in_wh(e)) for d, e in days.items()],
    }


def store(settings: Settings) -> EnergyStore:
    return EnergyStore(settings.energy_table, settings.tick_minutes)


@app.get(
    "/houses/<houseId>/energy",
    allow=(HOUSE_SELF, STAFF),
    summary="A house's real energy: one day (?date=) or a period (?from=&to=), in all and per day",
)
def house_energy(
    houseId: HouseId, date: Day = None, start: PeriodStart = None, end: PeriodEnd = None
) -> HouseEnergyPeriod:
    settings = Settings.from_env()
    days = iso_days(date_or_period(date, start, end))
    ClientsRepository(settings.clients_table).require(houseId)
    return HouseEnergyPeriod(houseId=houseId, **period(store(settings).house_days(houseId, days)))


@app.get(
    "/communities/<communityId>/energy",
    allow=STAFF,
    summary="A community's real energy: one day (?date=) or a period (?from=&to=), in all and per day",
)
def community_energy(
    communityId: CommunityId, date: Day = None, start: PeriodStart = None, end: PeriodEnd = None
) -> CommunityEnergyPeriod:
    settings = Settings.from_env()
    days = iso_days(date_or_period(date, start, end))
    if CommunitiesRepository(settings.communities_table).get(communityId) is None:
        raise NotFound(f"no community {communityId}", field="communityId")
    return CommunityEnergyPeriod(
        communityId=communityId, **period(store(settings).community_days(communityId, days))
    )


@app.get(
    "/grid/surplus",
    allow=(STAFF, UTILITY_PRODUCER),
    summary="The surplus houses sold to the grid over a period (?from=&to=): in all, per day, per community",
)
def grid_surplus(start: PeriodStart = None, end: PeriodEnd = None) -> GridSurplus:
    settings = Settings.from_env()
    days = iso_days(period_days(start, end))
    communities = [c.communityId for c in CommunitiesRepository(settings.communities_table).all()]
    owners = ["grid", *(community_owner(c) for c in [*communities, UNASSIGNED])]
    found = store(settings).owner_days(owners, days)

    def series(owner: str) -> list[SurplusDay]:
        return [SurplusDay(date=d, soldWh=mwh_to_wh(found[(owner, d)].soldMwh)) for d in days]

    sold = {c: sum(found[(community_owner(c), d)].soldMwh for d in days) for c in [*communities, UNASSIGNED]}
    return GridSurplus(
        from_=days[0],
        to=days[-1],
        soldWh=mwh_to_wh(sum(found[("grid", d)].soldMwh for d in days)),
        days=series("grid"),
        communities=[
            CommunitySurplus(communityId=c, soldWh=mwh_to_wh(mwh), days=series(community_owner(c)))
            for c, mwh in sorted(sold.items(), key=lambda t: (-t[1], t[0]))
            if mwh
        ],
    )


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
