"""`python -m localcloud run --parameter-overrides`: checked against template.yaml's own
parameters before the grid starts."""

from __future__ import annotations

import pytest

from localcloud.__main__ import main
from localcloud.cloud import ROOT
from localcloud.overrides import BadOverride, parse_overrides
from localcloud.template import load_template

DECLARED = load_template(ROOT / "template.yaml")["Parameters"]


def test_values_within_the_templates_constraints_are_taken() -> None:
    # Given overrides of a start instant, a number, an allowed value and a price
    pairs = [
        "ClockStart=2027-06-21T04:00:00Z",
        "PeakThresholdW=8000",
        "LogLevel=DEBUG",
        "BuyPricePerWh=0.0002",
    ]
    # When they are parsed, then each is kept as given
    assert parse_overrides(pairs, DECLARED) == {
        "ClockStart": "2027-06-21T04:00:00Z",
        "PeakThresholdW": "8000",
        "LogLevel": "DEBUG",
        "BuyPricePerWh": "0.0002",
    }


@pytest.mark.parametrize(
    ("pair", "named"),
    [
        ("ClockStart=tomorrow", "ClockStart=tomorrow: does not match"),
        ("ClockStart=2027-06-21T04:00", "ClockStart=2027-06-21T04:00: does not match"),
        ("PeakThresholdW=lots", "PeakThresholdW=lots: not a number"),
        ("PeakThresholdW=NaN", "PeakThresholdW=NaN: not a number"),
        ("FrameDelayTicks=1", "FrameDelayTicks=1: below its MinValue 2"),
        ("TickMinutes=61", "TickMinutes=61: above its MaxValue 60"),
        ("LogLevel=LOUD", "LogLevel=LOUD: not one of DEBUG, INFO, WARNING, ERROR"),
        ("PeakTreshold=8000", "PeakTreshold: no such parameter in template.yaml"),
        ("PeakThresholdW", "'PeakThresholdW': a parameter override is Name=Value"),
        (
            "StaffTokenSha256=" + "0" * 64,
            "StaffTokenSha256: not overridable locally (set SMARTGRID_STAFF_TOKEN",
        ),
    ],
)
def test_a_bad_override_is_refused_naming_it(pair: str, named: str) -> None:
    # Given one bad override among good ones, when they are parsed, then the bad one is named
    with pytest.raises(BadOverride) as refused:
        parse_overrides(["SheddingMinutes=30", pair], DECLARED)
    assert str(refused.value).startswith(named)


def test_the_local_grid_refuses_to_start_on_a_bad_override(capsys: pytest.CaptureFixture[str]) -> None:
    # Given `localcloud run` with a misspelt parameter, when it starts, then it exits 2 at once
    assert main(["run", "--houses", "0", "--parameter-overrides", "PeakTreshold=8000"]) == 2
    # And says which override is wrong
    assert "--parameter-overrides PeakTreshold: no such parameter" in capsys.readouterr().err
