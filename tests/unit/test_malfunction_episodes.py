"""Alerts as episodes: opened once, refreshed now and then, closed by a later normal observation,
never reopened by a copy of a past fault."""

from __future__ import annotations

from smartgrid.events import AlertSubject
from smartgrid.malfunctions.episodes import Fault, Observation, SubjectState, Track, alert_id, apply, observe
from smartgrid.malfunctions.kinds import AlertType

HOUSE = AlertSubject(kind="house", id="h-1")
SPIKE = AlertType.CONSUMPTION_EXCESSIVE


def at(minute: int) -> str:
    return f"2026-03-01T{minute // 60:02d}:{minute % 60:02d}:00Z"


def faulty(minute: int, power: int = 60_000) -> Observation:
    return Observation(SPIKE, at(minute), Fault({"meanPowerW": power}))


def normal(minute: int) -> Observation:
    return Observation(SPIKE, at(minute))


def test_a_fault_opens_an_alert_with_a_stable_id() -> None:
    # Given a house nothing was ever wrong with
    # When a faulty reading is observed
    track, alert = observe(Track(), faulty(10), HOUSE, "c-1")
    # Then an alert opens, named after its subject, type and start
    assert alert is not None and track.open is not None
    assert (alert.status, alert.since, alert.lastSeen, alert.timestamp) == ("open", at(10), at(10), at(10))
    assert alert.alertId == alert_id(SPIKE, HOUSE, at(10)) == track.open.alertId
    assert (alert.alertType, alert.subject, alert.communityId) == (
        "house.consumption.excessive",
        HOUSE,
        "c-1",
    )
    assert alert.details == {"meanPowerW": 60_000} and "h-1" in alert.message


def test_more_faults_while_it_lasts_publish_nothing_until_an_hour_later() -> None:
    # Given an alert opened at 00:10
    state, _ = apply(SubjectState(), HOUSE, [faulty(10)])
    # When the fault goes on every minute for an hour and a bit
    state, alerts = apply(state, HOUSE, [faulty(m) for m in range(11, 75)])
    # Then it is published again once, an hour after it was (a later lastSeen), same id
    assert [(a.status, a.lastSeen) for a in alerts] == [("open", at(70))]
    assert state.tracks[SPIKE].open is not None and state.tracks[SPIKE].open.lastSeen == at(74)


def test_a_later_normal_observation_closes_it_and_an_earlier_one_does_not() -> None:
    state, (opened,) = apply(SubjectState(), HOUSE, [faulty(10), faulty(12)])
    # When a normal reading of 00:11 comes late, then one of 00:13
    state, late = apply(state, HOUSE, [normal(11)])
    state, (closed,) = apply(state, HOUSE, [normal(13)])
    # Then only the later one closes it: the same alert, closed at 00:13, last seen 00:12
    assert late == []
    assert (closed.alertId, closed.status, closed.timestamp, closed.lastSeen) == (
        opened.alertId,
        "closed",
        at(13),
        at(12),
    )
    assert state.tracks[SPIKE] == Track(closedAt=at(13))


def test_a_copy_of_a_past_fault_raises_no_second_alert_and_a_new_fault_does() -> None:
    state, _ = apply(SubjectState(), HOUSE, [faulty(10), normal(11)])
    # When the faulty reading is delivered again
    again, alerts = apply(state, HOUSE, [faulty(10)])
    # Then nothing changes
    assert (again, alerts) == (state, [])
    # When the house fails again later
    _, (second,) = apply(state, HOUSE, [faulty(20)])
    # Then a new alert opens, with its own id
    assert second.status == "open" and second.alertId == alert_id(SPIKE, HOUSE, at(20))


def test_observations_are_taken_in_time_order_and_normal_ones_alone_change_nothing() -> None:
    # When a batch holds a normal reading after a faulty one, out of order
    _, alerts = apply(SubjectState(), HOUSE, [normal(11), faulty(10)])
    # Then the fault opened and closed
    assert [a.status for a in alerts] == ["open", "closed"]
    # And a house seen only normal keeps no track
    assert apply(SubjectState(), HOUSE, [normal(1), normal(2)]) == (SubjectState(), [])


def test_a_fault_that_began_before_it_was_observed_starts_there() -> None:
    # A silence observed on the move to 00:07, since the house's last reading ended at 00:03
    silence = Observation(AlertType.HOUSE_SILENT, at(7), Fault({"silentTicks": 4}, since=at(3)))
    _, alert = observe(Track(), silence, HOUSE, None)
    assert alert is not None and (alert.since, alert.lastSeen, alert.timestamp) == (at(3), at(7), at(7))
