"""Energy units: whole mWh inside the grid, Wh at the edge."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smartgrid.units import mwh_to_wh, watts_over_minutes_mwh, wh_to_mwh


@pytest.mark.parametrize(
    ("wh", "expected_mwh"),
    [
        (Decimal("0.0005"), 0),  # half to even: 0.000
        (Decimal("0.0015"), 2),  # half to even: 0.002
        (Decimal("0.0025"), 2),  # half to even: 0.002, not 0.003
        (Decimal("1.0035"), 1004),
        (Decimal("0.00051"), 1),  # above half rounds up
        (Decimal("0.00049"), 0),
    ],
)
def test_wh_to_mwh_rounds_half_even_at_the_mwh(wh: Decimal, expected_mwh: int) -> None:
    assert wh_to_mwh(wh) == expected_mwh


def test_wh_to_mwh_exact_for_float_sums() -> None:
    # Given 0.1 + 0.2 Wh as floats (0.30000000000000004) / When converted / Then exactly 300 mWh
    assert wh_to_mwh(0.1 + 0.2) == 300
    assert wh_to_mwh(Decimal("0.1") + Decimal("0.2")) == 300


@pytest.mark.parametrize(
    ("wh", "expected_mwh"),
    [(0, 0), (1, 1000), (1.5, 1500), (Decimal("123.456"), 123_456), (100_000_000, 100_000_000_000)],
)
def test_wh_to_mwh_whole_values(wh: Decimal | float | int, expected_mwh: int) -> None:
    result = wh_to_mwh(wh)
    assert result == expected_mwh
    assert isinstance(result, int)


def test_wh_to_mwh_float_half_is_read_as_written() -> None:
    # Given the float 0.0025 (binary just under 0.0025) / Then it is rounded as the decimal "0.0025"
    assert wh_to_mwh(0.0025) == 2
    assert wh_to_mwh(0.0035) == 4


@pytest.mark.parametrize(
    ("watts", "minutes", "expected_mwh"),
    [
        (500, 1, 8333),  # 8.3333 Wh
        (1000, 60, 1_000_000),
        (100, 15, 25_000),
        (1, 1, 17),  # 0.016666 Wh -> 0.017
        (0, 60, 0),
        (2.5, 24 * 60, 60_000),
    ],
)
def test_watts_over_minutes_mwh(watts: float, minutes: int, expected_mwh: int) -> None:
    assert watts_over_minutes_mwh(watts, minutes) == expected_mwh


@pytest.mark.parametrize(("mwh", "expected_wh"), [(0, 0.0), (1, 0.001), (1500, 1.5), (8333, 8.333)])
def test_mwh_to_wh(mwh: int, expected_wh: float) -> None:
    assert mwh_to_wh(mwh) == expected_wh


def test_mwh_round_trips_through_wh() -> None:
    for mwh in (0, 1, 7, 999, 123_456_789):
        assert wh_to_mwh(mwh_to_wh(mwh)) == mwh
