"""Consent without AWS: which policies a house had accepted at a grid time, and its history."""

from __future__ import annotations

from smartgrid.consent import MAX_CHANGES, accepted_at, history_of, with_change
from smartgrid.models import House, HouseStatus, Location, Policy, PolicyChange

REGISTERED = "2026-03-01T00:00:00Z"


def house(accepted: list[Policy], changes: list[PolicyChange] | None = None) -> House:
    return House(
        houseId="h-aaaaaaaaaaaa",
        name="Pierre & Marie",
        location=Location(lat=48.85, lon=2.35),
        acceptedPolicies=accepted,
        status=HouseStatus.ACTIVE,
        registeredAt=REGISTERED,
        policyChanges=changes or [],
    )


def test_a_record_without_history_accepted_its_policies_at_registration() -> None:
    # Given a house stored before the history existed
    old = house([Policy.CONSUMPTION])
    # Then its answer counts from its registration on, and not before
    assert history_of(old) == [PolicyChange(at=REGISTERED, acceptedPolicies=[Policy.CONSUMPTION])]
    assert accepted_at(old, Policy.CONSUMPTION, "2026-03-01T00:00:00Z")
    assert not accepted_at(old, Policy.CONSUMPTION, "2026-02-28T23:59:00Z")
    assert not accepted_at(old, Policy.PRODUCTION, "2026-03-05T00:00:00Z")


def test_the_change_in_force_is_the_latest_at_or_before_the_instant() -> None:
    # Given a house that accepted consumption, withdrew it on the 3rd, and accepted it again on the 5th
    changes = [
        PolicyChange(at=REGISTERED, acceptedPolicies=[Policy.CONSUMPTION]),
        PolicyChange(at="2026-03-03T12:00:00Z", acceptedPolicies=[]),
        PolicyChange(at="2026-03-05T00:00:00Z", acceptedPolicies=[Policy.CONSUMPTION, Policy.DETAILED]),
    ]
    flip = house([Policy.CONSUMPTION, Policy.DETAILED], changes)
    # Then each instant sees the answer in force then
    assert accepted_at(flip, Policy.CONSUMPTION, "2026-03-03T11:59:00Z")
    assert not accepted_at(flip, Policy.CONSUMPTION, "2026-03-03T12:00:00Z")
    assert not accepted_at(flip, Policy.DETAILED, "2026-03-04T00:00:00Z")
    assert accepted_at(flip, Policy.DETAILED, "2026-03-05T00:00:00Z")


def test_two_changes_in_one_tick_the_last_one_holds() -> None:
    changes = [
        PolicyChange(at=REGISTERED, acceptedPolicies=[Policy.PRODUCTION]),
        PolicyChange(at="2026-03-02T00:00:00Z", acceptedPolicies=[]),
        PolicyChange(at="2026-03-02T00:00:00Z", acceptedPolicies=[Policy.PRODUCTION]),
    ]
    assert accepted_at(house([Policy.PRODUCTION], changes), Policy.PRODUCTION, "2026-03-02T00:00:00Z")


def test_a_change_is_appended_with_its_grid_time() -> None:
    start = house([Policy.CONSUMPTION], [PolicyChange(at=REGISTERED, acceptedPolicies=[Policy.CONSUMPTION])])
    history = with_change(start, [Policy.PRODUCTION, Policy.PRODUCTION], "2026-03-04T08:00:00Z")
    assert history == [
        PolicyChange(at=REGISTERED, acceptedPolicies=[Policy.CONSUMPTION]),
        PolicyChange(at="2026-03-04T08:00:00Z", acceptedPolicies=[Policy.PRODUCTION]),
    ]


def test_the_same_answer_again_records_nothing() -> None:
    start = house([Policy.CONSUMPTION, Policy.PRODUCTION])
    assert with_change(start, [Policy.PRODUCTION, Policy.CONSUMPTION], "2026-03-04T08:00:00Z") is None


def test_a_first_change_of_an_old_record_keeps_its_registration_answer() -> None:
    history = with_change(house([Policy.CONSUMPTION]), [], "2026-03-04T08:00:00Z")
    assert history == [
        PolicyChange(at=REGISTERED, acceptedPolicies=[Policy.CONSUMPTION]),
        PolicyChange(at="2026-03-04T08:00:00Z", acceptedPolicies=[]),
    ]


def test_the_history_keeps_its_latest_changes_only() -> None:
    # Given a house that flipped its answer many times
    flips = [
        PolicyChange(
            at=f"2026-03-02T{n // 60:02d}:{n % 60:02d}:00Z", acceptedPolicies=[Policy.CONSUMPTION] * (n % 2)
        )
        for n in range(MAX_CHANGES)
    ]
    current = flips[-1].acceptedPolicies
    flipper = house(current, flips)
    # When it flips once more
    history = with_change(flipper, [] if current else [Policy.CONSUMPTION], "2026-03-03T00:00:00Z")
    # Then the oldest change is dropped, and the newest is in force
    assert history is not None and len(history) == MAX_CHANGES
    assert history[0] == flips[1] and history[-1].at == "2026-03-03T00:00:00Z"
