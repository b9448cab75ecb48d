"""Data sales without AWS: the price list, the order of the checks, the days a sale covers,
pseudonyms, and the data as sold."""

from __future__ import annotations

import datetime as dt

import pytest

from smartgrid.errors import Unprocessable
from smartgrid.partners import (
    MAX_SALE_DAYS,
    DataType,
    InsufficientDatapoints,
    InsufficientTrust,
    Offer,
    PriceList,
    Sale,
    SoldClient,
    SoldDay,
    SoldObjectsDay,
    check_purchase,
    daily_series,
    detailed_series,
    key_sha256,
    new_pseudonym_key,
    pseudonym,
    request_fingerprint,
    sale_days,
)

SEED_PRICES = PriceList(
    [
        Offer(DataType.CONSUMPTION, 1, 50),
        Offer(DataType.PRODUCTION, 2, 70),
        Offer(DataType.DETAILED, 3, 100),
    ]
)
TODAY = dt.date(2026, 3, 10)


# The price list and the checks -------------------------------------------------------------
def test_a_price_list_prices_every_data_type() -> None:
    with pytest.raises(ValueError, match="detailed"):
        PriceList([Offer(DataType.CONSUMPTION, 1, 50), Offer(DataType.PRODUCTION, 2, 70)])


def test_enough_trust_and_datapoints_pass() -> None:
    # Given the seed's partner (trust 2, 100 datapoints) / Then it may buy production (2, 70)
    check_purchase(SEED_PRICES.offer(DataType.PRODUCTION), trust_level=2, balance=100)
    check_purchase(SEED_PRICES.offer(DataType.PRODUCTION), trust_level=3, balance=70)


def test_too_little_trust_is_refused_with_the_level_needed() -> None:
    with pytest.raises(InsufficientTrust) as caught:
        check_purchase(SEED_PRICES.offer(DataType.DETAILED), trust_level=2, balance=1000)
    assert caught.value.status == 403
    assert caught.value.details == {"requiredTrustLevel": 3, "trustLevel": 2}


def test_too_few_datapoints_are_refused_with_the_balance_and_the_cost() -> None:
    # Given 30 datapoints left after a production sale / When it buys consumption (50)
    with pytest.raises(InsufficientDatapoints) as caught:
        check_purchase(SEED_PRICES.offer(DataType.CONSUMPTION), trust_level=2, balance=30)
    # Then 402 with the balance and the cost
    assert caught.value.status == 402
    assert caught.value.details == {"balance": 30, "cost": 50}


def test_trust_is_checked_before_datapoints() -> None:
    # Given a partner short of both / Then it is told about its trust, not the price
    with pytest.raises(InsufficientTrust):
        check_purchase(SEED_PRICES.offer(DataType.DETAILED), trust_level=1, balance=0)


# The days of a sale ------------------------------------------------------------------------
def test_a_sale_covers_every_day_of_its_period() -> None:
    assert sale_days(dt.date(2026, 2, 27), dt.date(2026, 3, 2), TODAY) == [
        "2026-02-27",
        "2026-02-28",
        "2026-03-01",
        "2026-03-02",
    ]
    assert sale_days(TODAY, TODAY, TODAY) == ["2026-03-10"]


def test_the_longest_period_is_accepted() -> None:
    first = TODAY - dt.timedelta(days=MAX_SALE_DAYS - 1)
    assert len(sale_days(first, TODAY, TODAY)) == MAX_SALE_DAYS


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (dt.date(2026, 3, 5), dt.date(2026, 3, 4), "to"),  # backwards
        (dt.date(2026, 3, 5), dt.date(2026, 3, 11), "to"),  # after the grid's today
        (TODAY - dt.timedelta(days=MAX_SALE_DAYS), TODAY, "to"),  # one day too long
    ],
    ids=["backwards", "future", "too-long"],
)
def test_a_bad_period_is_refused_naming_the_field(first: dt.date, last: dt.date, field: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        sale_days(first, last, TODAY)
    assert caught.value.field == field


# Pseudonyms ----------------------------------------------------------------------------------
def test_a_pseudonym_is_stable_for_a_partner_and_differs_between_partners() -> None:
    mine, theirs = new_pseudonym_key(), new_pseudonym_key()
    assert pseudonym(mine, "h-aaaaaaaaaaaa") == pseudonym(mine, "h-aaaaaaaaaaaa")
    assert pseudonym(mine, "h-aaaaaaaaaaaa") != pseudonym(mine, "h-bbbbbbbbbbbb")
    assert pseudonym(mine, "h-aaaaaaaaaaaa") != pseudonym(theirs, "h-aaaaaaaaaaaa")


def test_a_pseudonym_does_not_show_the_house_id() -> None:
    alias = pseudonym(new_pseudonym_key(), "h-aaaaaaaaaaaa")
    assert alias.startswith("anon-") and "aaaaaaaaaaaa" not in alias


# The data as sold ----------------------------------------------------------------------------
DAYS = ["2026-03-01", "2026-03-02"]


def alias(house_id: str) -> str:
    return f"anon-{house_id[::-1]}"


def test_daily_data_lists_every_day_in_wh_and_leaves_out_clients_without_data() -> None:
    # Given two houses with readings (mWh) and one without any
    totals = {
        "h-1": {"2026-03-01": 1500, "2026-03-02": 0},
        "h-2": {"2026-03-02": 250},
        "h-3": {"2026-03-01": 0, "2026-03-02": 0},
    }
    # When they are sold
    sold = daily_series(totals, DAYS, alias)
    # Then each house with data appears under its pseudonym, ordered by it, with every day
    assert sold == [
        SoldClient(
            client="anon-1-h",
            wh=1.5,
            days=[SoldDay(date="2026-03-01", wh=1.5), SoldDay(date="2026-03-02", wh=0.0)],
        ),
        SoldClient(
            client="anon-2-h",
            wh=0.25,
            days=[SoldDay(date="2026-03-01", wh=0.0), SoldDay(date="2026-03-02", wh=0.25)],
        ),
    ]


def test_detailed_data_lists_each_object_of_each_day() -> None:
    objects = {"h-1": {"2026-03-02": {"fridge": 3000, "blender": 16666}}, "h-2": {}}
    sold = detailed_series(objects, DAYS, alias)
    assert sold == [
        SoldClient(
            client="anon-1-h",
            wh=19.666,
            days=[
                SoldObjectsDay(date="2026-03-01", wh=0.0, objects={}),
                SoldObjectsDay(date="2026-03-02", wh=19.666, objects={"blender": 16.666, "fridge": 3.0}),
            ],
        )
    ]


def test_a_stored_sale_reads_back_exactly() -> None:
    # Given a detailed sale and a daily one, as stored (JSON)
    for days in (
        [SoldObjectsDay(date="2026-03-01", wh=1.0, objects={"ev": 1.0})],
        [SoldDay(date="2026-03-01", wh=1.0)],
    ):
        sale = Sale(
            saleId="pa-1-1",
            partnerId="pa-1",
            dataType=DataType.DETAILED,
            from_="2026-03-01",
            to="2026-03-01",
            datapoints=100,
            balance=0,
            clients=1,
            timestamp="2026-03-01T10:00:00Z",
            data=[SoldClient(client="anon-x", wh=1.0, days=days)],
        )
        stored = sale.model_dump_json(by_alias=True)
        # Then it reads back the same, and answers the same JSON
        assert Sale.model_validate_json(stored) == sale
        assert Sale.model_validate_json(stored).model_dump_json(by_alias=True) == stored
        assert '"from":"2026-03-01"' in stored


def test_a_request_fingerprint_tells_requests_apart() -> None:
    production = request_fingerprint(DataType.PRODUCTION, dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert production == request_fingerprint(DataType.PRODUCTION, dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert production != request_fingerprint(DataType.CONSUMPTION, dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert production != request_fingerprint(DataType.PRODUCTION, dt.date(2026, 3, 1), dt.date(2026, 3, 3))


def test_an_idempotency_key_is_kept_as_a_hash_of_fixed_length() -> None:
    assert len(key_sha256("x" * 255)) == len(key_sha256("k")) == 64
    assert key_sha256("k") != key_sha256("K")
