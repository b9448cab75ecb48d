"""Hostile input at the lowest layer (issue 9, part 3): non-finite numbers, unknown fields,
lists without a bound, readings outside their window. The HTTP side is in
tests/functions/test_reading_window.py and tests/functions/test_hostile_bodies.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from localcloud.openapi import DOCUMENT
from smartgrid.api import finite_json
from smartgrid.errors import Unprocessable
from smartgrid.gridtime import parse_instant
from smartgrid.models import Location
from smartgrid.readings import MAX_BATCH, ConsumptionBody, HeadEndBatch, ReadingWindow


# Non-finite numbers ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        '{"x": NaN}',
        '{"x": Infinity}',
        '{"x": -Infinity}',
        '{"x": 1e999}',
        "[-1e400]",
        '{"w": 5e-324}',  # found by the fuzzing: DynamoDB refused it (Underflow), a 502
        '{"w": 1e200}',
        '{"n": 1' + "0" * 40 + "}",
    ],
)
def test_numbers_python_accepts_but_we_cannot_store_are_refused(text: str) -> None:
    with pytest.raises(json.JSONDecodeError, match="finite"):
        finite_json(text)


def test_ordinary_json_numbers_still_parse() -> None:
    parsed = finite_json(
        '{"a": 1.5, "b": -2, "c": 1e120, "d": [0.0, -0.0], "e": 1e-100, "f": 12345678901234567890}'
    )
    assert parsed == {"a": 1.5, "b": -2, "c": 1e120, "d": [0.0, -0.0], "e": 1e-100, "f": 12345678901234567890}


def test_request_models_refuse_non_finite_numbers_given_in_python() -> None:
    # Given a NaN that did not come through JSON (a model used from code), Then it is refused too
    with pytest.raises(ValidationError, match="finite"):
        Location(lat=float("nan"), lon=2.35)


# Unknown fields and huge lists -----------------------------------------------------------
def test_an_unknown_field_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as error:
        ConsumptionBody.model_validate(
            {"timestamp": "2026-03-01T10:00:00Z", "objects": {"tv": 1}, "extra": 1}
        )
    assert error.value.errors()[0]["loc"] == ("extra",)


def test_a_head_end_batch_is_bounded() -> None:
    reading = {"houseId": "h-1", "timestamp": "2026-03-01T10:00:00Z", "objects": {"tv": 1}}
    HeadEndBatch.model_validate({"consumption": [reading] * MAX_BATCH})
    with pytest.raises(ValidationError) as error:
        HeadEndBatch.model_validate({"consumption": [reading] * (MAX_BATCH + 1)})
    assert error.value.errors()[0]["loc"] == ("consumption",)


def _unbounded(schema: dict[str, Any], schemas: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Where a request schema lets through an unknown field, or a list or map of any length."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        schema = schemas[name]
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found += _unbounded(part, schemas, where, seen)
    if "properties" in schema:
        if schema.get("additionalProperties") is not False:
            found.append(f"{where}: unknown fields allowed")
        for name, part in schema["properties"].items():
            found += _unbounded(part, schemas, f"{where}.{name}", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        if "maxProperties" not in schema:
            found.append(f"{where}: a map without maxProperties")
        found += _unbounded(schema["additionalProperties"], schemas, f"{where}.*", seen)
    if schema.get("type") == "array":
        if "maxItems" not in schema:
            found.append(f"{where}: a list without maxItems")
        found += _unbounded(schema.get("items", {}), schemas, f"{where}[]", seen)
    if (
        schema.get("type") == "string"
        and not {"maxLength", "enum", "format", "pattern", "const"} & schema.keys()
    ):
        found.append(f"{where}: a string without maxLength")
    return found


def test_every_request_body_of_the_api_is_closed_and_bounded() -> None:
    # Given every request body of the OpenAPI document (a new route is checked as it comes)
    document = json.loads(DOCUMENT.read_text())
    schemas = document["components"]["schemas"]
    found: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                found += _unbounded(body["schema"], schemas, f"{method.upper()} {path} body", set())
    # Then none takes unknown fields, nor a list, map or string of any length
    assert found == []


# The window of a reading -----------------------------------------------------------------
WINDOW = ReadingWindow(latest=parse_instant("2026-03-02T00:00:00Z"), tick_minutes=15)


def test_a_reading_in_its_window_passes() -> None:
    WINDOW.check("2026-03-02T00:00:00Z", "body.timestamp", registered_at="2026-03-01T10:07:00Z")
    WINDOW.check("2026-03-01T10:00:00Z", "body.timestamp", registered_at="2026-03-01T10:07:00Z")


@pytest.mark.parametrize(
    ("start", "registered_at", "problem"),
    [
        ("2026-03-02T00:15:00Z", None, "future"),
        ("2027-01-01T00:00:00Z", "2026-03-01T00:00:00Z", "future"),
        ("2026-03-01T09:45:00Z", "2026-03-01T10:07:00Z", "before the house registered"),
    ],
)
def test_a_reading_outside_its_window_is_refused_naming_the_field(
    start: str, registered_at: str | None, problem: str
) -> None:
    with pytest.raises(Unprocessable, match=problem) as error:
        WINDOW.check(start, "consumption.3.timestamp", registered_at=registered_at)
    assert error.value.field == "consumption.3.timestamp"


def test_a_reading_of_an_implausible_year_is_refused() -> None:
    # Found by the fuzzing: year 822 crashed the provider (a 502)
    with pytest.raises(ValidationError, match="year"):
        ConsumptionBody.model_validate({"timestamp": "0822-03-15T06:02:36+05:40", "objects": {"tv": 1}})
