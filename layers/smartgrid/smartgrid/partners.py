"""Data sales to partners (story 18): who may buy which data for how many datapoints, the
days a sale covers, and the clients it covers, each behind a pseudonym of the buyer's own.

A kind of data is sold only for the clients who accepted the policy of the same name
(`models.Policy`), so the two share one enum. Pure: partner-api does the reading and writing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from smartgrid.errors import Forbidden, NotFound, PaymentRequired, Unprocessable
from smartgrid.gridtime import days_between
from smartgrid.models import Policy
from smartgrid.units import mwh_to_wh

DataType = Policy
TrustLevel = Annotated[int, Field(ge=1, le=3, description="1: consumption, 2: production, 3: detailed")]
MAX_SALE_DAYS = 92  # a quarter: a sale's reads and its answer stay bounded
PSEUDONYM_PREFIX = "anon-"
PSEUDONYM_HEX = 24  # 96 bits: no two clients of a grid share one


# What each kind of data costs ------------------------------------------------------------
@dataclass(frozen=True)
class Offer:
    data_type: DataType
    trust_level: int
    datapoints: int


class PriceList:
    """The trust level and the datapoints each kind of data needs (template parameters)."""

    def __init__(self, offers: Sequence[Offer]) -> None:
        self._offers = {offer.data_type: offer for offer in offers}
        missing = set(DataType) - set(self._offers)
        if missing:
            raise ValueError(f"no price for {sorted(missing)}")

    def offer(self, data_type: DataType) -> Offer:
        return self._offers[data_type]


class InsufficientTrust(Forbidden):
    code = "insufficient_trust"


class InsufficientDatapoints(PaymentRequired):
    code = "insufficient_datapoints"


class NoData(NotFound):
    """No consenting client has data for the period: nothing is sold, nothing debited."""

    code = "no_data"


def check_purchase(offer: Offer, trust_level: int, balance: int) -> None:
    """Trust first, then datapoints: a partner that may not buy learns nothing of the price."""
    if trust_level < offer.trust_level:
        raise InsufficientTrust(
            f"{offer.data_type} data needs trust level {offer.trust_level}; this partner has {trust_level}",
            field="dataType",
            details={"requiredTrustLevel": offer.trust_level, "trustLevel": trust_level},
        )
    if balance < offer.datapoints:
        raise InsufficientDatapoints(
            f"{offer.data_type} data costs {offer.datapoints} datapoints; this partner has {balance}",
            field="dataType",
            details={"balance": balance, "cost": offer.datapoints},
        )


# The days a sale covers ------------------------------------------------------------------
def sale_days(first: dt.date, last: dt.date, today: dt.date) -> list[str]:
    """Every day from `first` to `last`, both in: at most MAX_SALE_DAYS, none after the grid's
    today (today's data is what the grid holds at the sale)."""
    if last < first:
        raise Unprocessable("to is before from", field="to")
    if last > today:
        raise Unprocessable(f"to is after the grid's today ({today.isoformat()})", field="to")
    if (last - first).days >= MAX_SALE_DAYS:
        raise Unprocessable(f"a sale covers at most {MAX_SALE_DAYS} days", field="to")
    return [d.isoformat() for d in days_between(first, last)]


# Clients behind pseudonyms ---------------------------------------------------------------
def new_pseudonym_key() -> str:
    """A partner's own secret: its pseudonyms cannot be matched with another partner's."""
    return secrets.token_hex(32)


def pseudonym(key_hex: str, house_id: str) -> str:
    """The same house is always the same pseudonym for one partner, another for another
    partner; without the key, nobody can tell which house it is."""
    digest = hmac.new(bytes.fromhex(key_hex), house_id.encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX]


# What is sold ----------------------------------------------------------------------------
class SoldDay(BaseModel):
    date: str
    wh: float


class SoldObjectsDay(SoldDay):
    objects: dict[str, float] = Field(description="each object's Wh")


class SoldClient(BaseModel):
    client: str = Field(description="the client's pseudonym: stable for this partner, meaningless to others")
    wh: float = Field(description="the client's total over the period")
    days: list[SoldObjectsDay] | list[SoldDay] = Field(description="every day of the period, in order")


def daily_series(
    totals: Mapping[str, Mapping[str, int]], days: Sequence[str], pseudonym_of: Callable[[str], str]
) -> list[SoldClient]:
    """House id -> day -> mWh, as sold: each client with something in the period, ordered by
    pseudonym (an order that says nothing of the houses)."""
    sold = []
    for house_id, by_day in totals.items():
        series = [SoldDay(date=d, wh=mwh_to_wh(by_day.get(d, 0))) for d in days]
        total = sum(by_day.get(d, 0) for d in days)
        if total:
            sold.append(SoldClient(client=pseudonym_of(house_id), wh=mwh_to_wh(total), days=series))
    return sorted(sold, key=lambda c: c.client)


def detailed_series(
    objects: Mapping[str, Mapping[str, Mapping[str, int]]],
    days: Sequence[str],
    pseudonym_of: Callable[[str], str],
) -> list[SoldClient]:
    """House id -> day -> object -> mWh, as sold (see `daily_series`)."""
    sold = []
    for house_id, by_day in objects.items():
        series: list[SoldObjectsDay] = []
        for d in days:
            found = by_day.get(d, {})
            series.append(
                SoldObjectsDay(
                    date=d,
                    wh=mwh_to_wh(sum(found.values())),
                    objects={name: mwh_to_wh(found[name]) for name in sorted(found)},
                )
            )
        total = sum(sum(by_day.get(d, {}).values()) for d in days)
        if any(by_day.get(d) for d in days):
            sold.append(SoldClient(client=pseudonym_of(house_id), wh=mwh_to_wh(total), days=series))
    return sorted(sold, key=lambda c: c.client)


# A sale ------------------------------------------------------------------------------------
class SaleSummary(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    saleId: str
    partnerId: str
    dataType: DataType
    from_: str = Field(alias="from", serialization_alias="from", description="first day, YYYY-MM-DD")
    to: str = Field(description="last day, YYYY-MM-DD")
    datapoints: int = Field(description="what the sale cost")
    balance: int = Field(description="the partner's datapoints left after the sale")
    clients: int = Field(description="how many consenting clients the data covers")
    timestamp: str = Field(description="grid time of the sale (the consent in force then is the one applied)")


class Sale(SaleSummary):
    data: list[SoldClient]

    def summary(self) -> SaleSummary:
        return SaleSummary.model_validate(self.model_dump(exclude={"data"}))


def request_fingerprint(data_type: DataType, first: dt.date, last: dt.date) -> str:
    """What an idempotent retry must repeat exactly: the same key with another request is refused."""
    request = {"dataType": data_type.value, "from": first.isoformat(), "to": last.isoformat()}
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def key_sha256(idempotency_key: str) -> str:
    """A client's key is stored hashed: any text it chose makes a short, safe sort key."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()
