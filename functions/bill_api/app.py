"""bill-api over HTTP: a house's bills (the house itself or staff), and the prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from smartgrid.access import ANYONE, HOUSE_SELF, STAFF
from smartgrid.api import GridApi
from smartgrid.billing import Bill, Price
from smartgrid.billsettings import BillSettings
from smartgrid.clockservice import grid_now
from smartgrid.gridtime import parse_instant
from smartgrid.models import Strict
from smartgrid.observability import observability
from smartgrid.settings import AuthSettings

obs = observability()
app = GridApi("bill-api")

HouseId = Annotated[str, Path(min_length=3, max_length=64)]
# Years 1000-2999: year 0 crashed the month's arithmetic (found by the fuzzing, a 502).
Month = Annotated[str, Path(pattern=r"^[12]\d{3}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
EffectiveDay = Annotated[dt.date, Path(description="the first day the price applies, YYYY-MM-DD")]
PerWh = Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False, description="euros per Wh")]


class Settings(AuthSettings, BillSettings):
    pass


class Bills(BaseModel):
    houseId: str
    bills: list[Bill] = Field(
        description="every month since registration, oldest first, the current one last"
    )


class PriceChange(Strict):
    buyPerWh: PerWh
    sellPerWh: PerWh


class PriceView(BaseModel):
    effective: str = Field(description="from this day on")
    buyPerWh: Decimal
    sellPerWh: Decimal
    currency: str = "EUR"


class Prices(BaseModel):
    prices: list[PriceView] = Field(description="the default first, then each change by its day")


def now(settings: Settings) -> dt.datetime:
    return parse_instant(grid_now(settings))


@app.get(
    "/houses/<houseId>/bills", allow=(HOUSE_SELF, STAFF), summary="Every bill of a house since it registered"
)
def bills(houseId: HouseId) -> Bills:
    settings = Settings.from_env()
    return Bills(houseId=houseId, bills=settings.service().bills(houseId, now(settings)))


@app.get(
    "/houses/<houseId>/bills/current",
    allow=(HOUSE_SELF, STAFF),
    summary="The current month's bill so far, and its projection to the month's end",
)
def current_bill(houseId: HouseId) -> Bill:
    settings = Settings.from_env()
    moment = now(settings)
    return settings.service().month_bill(houseId, f"{moment:%Y-%m}", moment)


@app.get(
    "/houses/<houseId>/bills/<month>", allow=(HOUSE_SELF, STAFF), summary="A month's bill (final once closed)"
)
def month_bill(houseId: HouseId, month: Month) -> Bill:
    settings = Settings.from_env()
    return settings.service().month_bill(houseId, month, now(settings))


def view(price: Price) -> PriceView:
    return PriceView(
        effective=price.effective.isoformat(), buyPerWh=price.buy_per_wh, sellPerWh=price.sell_per_wh
    )


@app.get("/prices", allow=ANYONE, summary="The prices, effective-dated")
def prices() -> Prices:
    return Prices(prices=[view(p) for p in Settings.from_env().service().price_list().prices])


@app.put("/prices/<effective>", allow=STAFF, summary="Set the prices from a day on (not in a closed month)")
def set_price(effective: EffectiveDay, change: PriceChange) -> Prices:
    settings = Settings.from_env()
    service = settings.service()
    cursor = service.store.cursor()
    service.store.set_price(
        Price(effective, change.buyPerWh, change.sellPerWh), cursor[1] if cursor else None
    )
    return Prices(prices=[view(p) for p in service.price_list().prices])


@obs.logger.inject_lambda_context
@obs.tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
