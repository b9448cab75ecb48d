"""Alerts as episodes: one per subject and alert type while it lasts, whatever is redelivered.

Each subject (a house, a community, a utility producer) keeps a track per alert type. A
faulty observation opens an episode unless one is open; a normal observation later than the
episode's last faulty one closes it. An episode's id is derived from its subject, type and
start, so a message delivered twice decides the same and a consumer keeps one alert.

Observations may arrive out of order: one no later than what a track has seen changes
nothing (a faulty one no later than the closing of the last episode does not reopen it: a
redelivered faulty reading raises no second alert). While an episode lasts it is published
again when its `lastSeen` has moved REFRESH past what was last published, so that staff see
it is still going on without a message per faulty reading.

Instants are ISO strings of one format (`gridtime.iso`): they compare as text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import BaseModel, Field

from smartgrid.events import Alert, AlertDetail, AlertSubject
from smartgrid.gridtime import parse_instant
from smartgrid.malfunctions.kinds import AlertType, describe

REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class Fault:
    """What is wrong, as observed: the figures behind it, and when it began when that is
    before the observation (a house silent since its last reading)."""

    details: Mapping[str, AlertDetail] = field(default_factory=dict)
    since: str | None = None


@dataclass(frozen=True)
class Observation:
    """What one reading, frame or clock move showed of one alert type: faulty or normal."""

    alert_type: AlertType
    at: str
    fault: Fault | None = None

    @property
    def faulty(self) -> bool:
        return self.fault is not None


class Episode(BaseModel):
    alertId: str
    since: str
    lastSeen: str = Field(description="the latest faulty observation")
    reported: str = Field(description="the lastSeen last published")
    details: dict[str, AlertDetail] = Field(default_factory=dict)


class Track(BaseModel):
    open: Episode | None = None
    closedAt: str | None = Field(None, description="the normal observation that closed the last episode")


class SubjectState(BaseModel):
    """A subject's tracks, and its community (for the alerts)."""

    tracks: dict[AlertType, Track] = Field(default_factory=dict)
    communityId: str | None = None


def alert_id(alert_type: AlertType, subject: AlertSubject, since: str) -> str:
    digest = hashlib.sha256(f"{alert_type}|{subject.kind}|{subject.id}|{since}".encode()).hexdigest()
    return "al-" + digest[:20]


def _alert(
    alert_type: AlertType,
    subject: AlertSubject,
    community_id: str | None,
    episode: Episode,
    status: str,
    timestamp: str,
) -> Alert:
    return Alert.model_validate(
        {
            "alertId": episode.alertId,
            "alertType": alert_type.value,
            "subject": subject,
            "message": describe(alert_type, subject, episode.since, episode.details),
            "timestamp": timestamp,
            "status": status,
            "communityId": community_id,
            "since": episode.since,
            "lastSeen": episode.lastSeen,
            "details": episode.details,
        }
    )


def observe(
    track: Track, observation: Observation, subject: AlertSubject, community_id: str | None
) -> tuple[Track, Alert | None]:
    """The track after an observation, and the alert to publish (opened, refreshed, closed)."""
    kind, at, open_ = observation.alert_type, observation.at, track.open
    if observation.fault is None:
        if open_ is None or at <= open_.lastSeen:
            return track, None
        return Track(closedAt=at), _alert(kind, subject, community_id, open_, "closed", at)
    details = dict(observation.fault.details)
    if open_ is None:
        if track.closedAt is not None and at <= track.closedAt:
            return track, None  # over already: a late or redelivered copy of a past fault
        since = observation.fault.since or at
        episode = Episode(
            alertId=alert_id(kind, subject, since), since=since, lastSeen=at, reported=at, details=details
        )
        return Track(open=episode, closedAt=track.closedAt), _alert(
            kind, subject, community_id, episode, "open", at
        )
    if at <= open_.lastSeen:
        return track, None
    due = parse_instant(at) - parse_instant(open_.reported) >= REFRESH
    episode = open_.model_copy(
        update={"lastSeen": at, "details": details, "reported": at if due else open_.reported}
    )
    alert = _alert(kind, subject, community_id, episode, "open", at) if due else None
    return Track(open=episode, closedAt=track.closedAt), alert


def apply(
    state: SubjectState, subject: AlertSubject, observations: Iterable[Observation]
) -> tuple[SubjectState, list[Alert]]:
    """The subject's state after observations (taken in time order), and the alerts to publish."""
    tracks = dict(state.tracks)
    alerts: list[Alert] = []
    for observation in sorted(observations, key=lambda o: o.at):
        track = tracks.get(observation.alert_type, Track())
        track, alert = observe(track, observation, subject, state.communityId)
        if track != Track():
            tracks[observation.alert_type] = track
        if alert is not None:
            alerts.append(alert)
    return state.model_copy(update={"tracks": tracks}), alerts
