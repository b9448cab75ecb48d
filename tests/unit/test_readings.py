"""Readings as posted, validated and normalised for the bus."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from smartgrid.errors import Unprocessable
from smartgrid.events import DetailedConsumptionReading, ProductionReading
from smartgrid.models import ProducerKind, ProducerRecord
from smartgrid.readings import (
    MAX_OBJECTS,
    ConsumptionBody,
    NegativeEnergy,
    ProductionBody,
    body_sha256,
    consumption_reading,
    ledger_key,
    production_reading,
)

HOUSE_ID = "h-0123456789ab"


def consumption(**fields: Any) -> ConsumptionBody:
    body: dict[str, Any] = {"timestamp": "2024-03-01T10:07:42Z", "objects": {"lamp": "1"}}
    body.update(fields)
    return ConsumptionBody.model_validate(body)


def house_producer() -> ProducerRecord:
    return ProducerRecord(
        producerId="p-0123456789ab",
        name="Toit solaire",
        kind=ProducerKind.HOUSE,
        houseId=HOUSE_ID,
        createdAt="2024-01-01T00:00:00Z",
        tokenSha256="0" * 64,
    )


def utility_producer() -> ProducerRecord:
    return ProducerRecord(
        producerId="p-utility0001",
        name="Centrale",
        kind=ProducerKind.UTILITY,
        productionLimitW=1_000_000,
        createdAt="2024-01-01T00:00:00Z",
    )


# --- consumption_reading ---------------------------------------------------------------------


def test_consumption_reading_is_normalised() -> None:
    # Given a reading at 10:07:42 in Wh with unsorted objects
    body = consumption(objects={"washer": Decimal("0.0015"), "fridge": 1.5, "lamp": "0.1"})
    # When normalised with 1-minute ticks
    reading = consumption_reading(HOUSE_ID, body, tick_minutes=1)
    # Then the timestamp is on the tick, energies are mWh, objects are sorted
    assert reading == DetailedConsumptionReading(
        houseId=HOUSE_ID,
        timestamp="2024-03-01T10:07:00Z",
        durationMinutes=1,
        objects={"fridge": 1500, "lamp": 100, "washer": 2},
    )
    assert list(reading.objects) == ["fridge", "lamp", "washer"]


def test_consumption_reading_floors_to_a_fifteen_minute_tick() -> None:
    reading = consumption_reading(HOUSE_ID, consumption(durationMinutes=15), tick_minutes=15)
    assert reading.timestamp == "2024-03-01T10:00:00Z"
    assert reading.durationMinutes == 15


def test_consumption_reading_naive_and_offset_timestamps_are_utc() -> None:
    naive = consumption_reading(HOUSE_ID, consumption(timestamp="2024-03-01T10:07:00"), 1)
    offset = consumption_reading(HOUSE_ID, consumption(timestamp="2024-03-01T12:07:00+02:00"), 1)
    assert naive.timestamp == offset.timestamp == "2024-03-01T10:07:00Z"


def test_consumption_reading_exact_decimals() -> None:
    reading = consumption_reading(HOUSE_ID, consumption(objects={"a": 0.1 + 0.2}), 1)
    assert reading.objects == {"a": 300}


def test_reading_ending_exactly_at_midnight_is_accepted() -> None:
    body = consumption(timestamp="2024-03-01T23:45:00Z", durationMinutes=15)
    assert consumption_reading(HOUSE_ID, body, 15).timestamp == "2024-03-01T23:45:00Z"


def test_reading_crossing_midnight_is_refused() -> None:
    # Given a 15-minute reading starting at 23:50 UTC / Then refused on body.durationMinutes
    body = consumption(timestamp="2024-03-01T23:50:00Z", durationMinutes=15)
    with pytest.raises(Unprocessable) as caught:
        consumption_reading(HOUSE_ID, body, 1)
    assert caught.value.field == "body.durationMinutes"
    assert "midnight" in caught.value.message


def test_reading_crossing_utc_midnight_written_with_an_offset_is_refused() -> None:
    # Given 00:30 at +01:00 (23:30 UTC) for an hour / Then it crosses UTC midnight
    body = consumption(timestamp="2024-03-02T00:30:00+01:00", durationMinutes=60)
    with pytest.raises(Unprocessable) as caught:
        consumption_reading(HOUSE_ID, body, 1)
    assert caught.value.field == "body.durationMinutes"


def test_duration_not_a_whole_number_of_ticks_is_refused() -> None:
    body = consumption(timestamp="2024-03-01T10:00:00Z", durationMinutes=20)
    with pytest.raises(Unprocessable) as caught:
        consumption_reading(HOUSE_ID, body, 15)
    assert caught.value.field == "body.durationMinutes"


def test_field_prefix_names_the_item_of_a_batch() -> None:
    body = consumption(timestamp="2024-03-01T23:59:00Z", durationMinutes=2)
    with pytest.raises(Unprocessable) as caught:
        consumption_reading(HOUSE_ID, body, 1, field="consumption[3]")
    assert caught.value.field == "consumption[3].durationMinutes"


# --- production_reading ----------------------------------------------------------------------


def test_production_reading_of_a_house_producer() -> None:
    body = ProductionBody.model_validate(
        {"timestamp": "2024-03-01T12:14:59Z", "durationMinutes": 15, "wh": "250.0005"}
    )
    reading = production_reading(house_producer(), body, 15)
    assert reading == ProductionReading(
        producerId="p-0123456789ab",
        kind="house",
        houseId=HOUSE_ID,
        timestamp="2024-03-01T12:00:00Z",
        durationMinutes=15,
        mwh=250_000,
    )


def test_production_reading_of_a_utility_has_no_house() -> None:
    body = ProductionBody.model_validate({"timestamp": "2024-03-01T12:00:00Z", "wh": 1.5})
    reading = production_reading(utility_producer(), body, 1)
    assert reading.kind == "utility"
    assert reading.houseId is None
    assert reading.mwh == 1500


def test_production_reading_crossing_midnight_is_refused() -> None:
    body = ProductionBody.model_validate(
        {"timestamp": "2024-03-01T23:30:00Z", "durationMinutes": 60, "wh": 1}
    )
    with pytest.raises(Unprocessable) as caught:
        production_reading(house_producer(), body, 1)
    assert caught.value.field == "body.durationMinutes"


# --- body_sha256 and ledger_key --------------------------------------------------------------


def test_body_sha256_equal_for_equal_content() -> None:
    # Given the same content posted twice, objects in another order and another second
    first = consumption_reading(HOUSE_ID, consumption(objects={"a": 1, "b": 2}), 1)
    second = consumption_reading(
        HOUSE_ID, consumption(timestamp="2024-03-01T10:07:05Z", objects={"b": "2.000", "a": 1.0}), 1
    )
    assert body_sha256(first) == body_sha256(second)
    assert len(body_sha256(first)) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"objects": {"a": 1, "b": "2.001"}},
        {"objects": {"a": 1, "c": 2}},
        {"timestamp": "2024-03-01T10:08:00Z"},
    ],
)
def test_body_sha256_differs_for_different_content(change: dict[str, Any]) -> None:
    base = consumption_reading(HOUSE_ID, consumption(objects={"a": 1, "b": 2}), 1)
    changed = consumption_reading(HOUSE_ID, consumption(**{"objects": {"a": 1, "b": 2}, **change}), 1)
    assert body_sha256(base) != body_sha256(changed)


def test_body_sha256_differs_for_another_house() -> None:
    body = consumption()
    assert body_sha256(consumption_reading("h-1", body, 1)) != body_sha256(
        consumption_reading("h-2", body, 1)
    )


def test_ledger_key_names_the_source_and_tick() -> None:
    reading = consumption_reading(HOUSE_ID, consumption(), 1)
    assert ledger_key(reading) == (f"house#{HOUSE_ID}", "2024-03-01T10:07:00Z")
    body = ProductionBody.model_validate({"timestamp": "2024-03-01T10:07:00Z", "wh": 1})
    assert ledger_key(production_reading(house_producer(), body, 1)) == (
        "producer#p-0123456789ab",
        "2024-03-01T10:07:00Z",
    )


# --- ConsumptionBody validation --------------------------------------------------------------


def refused(body: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        ConsumptionBody.model_validate(body)
    return caught.value.errors()


@pytest.mark.parametrize(
    ("value", "error_type"),
    [
        (-100_000_001, "greater_than_equal"),
        (float("nan"), "finite_number"),
        ("NaN", "finite_number"),
        (float("inf"), "finite_number"),
        ("-Infinity", "finite_number"),
        (100_000_001, "less_than_equal"),
        ("lots", "decimal_parsing"),
    ],
)
def test_bad_energies_are_refused(value: Any, error_type: str) -> None:
    errors = refused({"timestamp": "2024-03-01T10:00:00Z", "objects": {"lamp": value}})
    assert errors[0]["type"] == error_type
    assert errors[0]["loc"] == ("objects", "lamp")


@pytest.mark.parametrize("value", [-1, "-0.001"])
def test_a_negative_energy_is_well_formed_but_refused_as_a_faulty_meters(value: Any) -> None:
    # A reading of a faulty meter: refused by itself (NegativeEnergy, a 422 naming the object),
    # not by the body's validation, so a head-end's batch refuses it alone and reports it
    body = ConsumptionBody.model_validate({"timestamp": "2024-03-01T10:00:00Z", "objects": {"lamp": value}})
    with pytest.raises(NegativeEnergy) as caught:
        consumption_reading(HOUSE_ID, body, 1)
    assert (caught.value.status, caught.value.field) == (422, "body.objects.lamp")


def test_zero_energy_is_accepted() -> None:
    assert consumption(objects={"lamp": 0}).objects == {"lamp": Decimal(0)}


def test_too_many_objects_are_refused() -> None:
    objects = {f"o{i}": 1 for i in range(MAX_OBJECTS + 1)}
    errors = refused({"timestamp": "2024-03-01T10:00:00Z", "objects": objects})
    assert errors[0]["loc"] == ("objects",)
    assert errors[0]["type"] == "too_long"
    assert len(consumption(objects={f"o{i}": 1 for i in range(MAX_OBJECTS)}).objects) == MAX_OBJECTS


def test_empty_objects_are_refused() -> None:
    errors = refused({"timestamp": "2024-03-01T10:00:00Z", "objects": {}})
    assert errors[0]["loc"] == ("objects",)
    assert errors[0]["type"] == "too_short"


@pytest.mark.parametrize("name", ["", "x" * 65, "lamp#1", "lamp\n", "<script>", "a;b", "a/b", 'quote"'])
def test_bad_object_names_are_refused(name: str) -> None:
    errors = refused({"timestamp": "2024-03-01T10:00:00Z", "objects": {name: 1}})
    assert errors[0]["loc"][:2] == ("objects", name)


@pytest.mark.parametrize("name", ["lamp", "EV charger", "heat-pump:1", "a+b:c.d", "Réfrigérateur", "x" * 64])
def test_good_object_names_are_accepted(name: str) -> None:
    assert list(consumption(objects={name: 1}).objects) == [name]


def test_unknown_fields_are_refused() -> None:
    errors = refused({"timestamp": "2024-03-01T10:00:00Z", "objects": {"a": 1}, "houseId": "h-1"})
    assert errors[0]["type"] == "extra_forbidden"
    assert errors[0]["loc"] == ("houseId",)


@pytest.mark.parametrize("duration", [0, -15, 24 * 60 + 1])
def test_duration_out_of_range_is_refused(duration: int) -> None:
    errors = refused({"timestamp": "2024-03-01T10:00:00Z", "durationMinutes": duration, "objects": {"a": 1}})
    assert errors[0]["loc"] == ("durationMinutes",)


def test_missing_or_bad_timestamp_is_refused() -> None:
    assert refused({"objects": {"a": 1}})[0]["loc"] == ("timestamp",)
    assert refused({"timestamp": "soon", "objects": {"a": 1}})[0]["loc"][0] == "timestamp"


def test_duration_defaults_to_one_minute() -> None:
    assert consumption().durationMinutes == 1
