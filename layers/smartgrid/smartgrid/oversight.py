"""autarky-oversight: on each community's tick (energy.output.community), judges the autarky
of the community and of each of its houses, and notifies (client.notification) each change.

What autarky is, and its hysteresis: `smartgrid.autarky`. Order: `smartgrid.tickorder`.

Exactly once, whatever SQS does:
- a tick's values are set, not added (`stores.autarky`): a second delivery writes them again;
- ticks are judged in order from the community's cursor, which moves only forward and only
  by a conditional write: two copies that judge the same ticks compute the same changes;
- a change is stored with the subject's new state in one transaction conditioned on the
  state's last change being older, under (subject, tick): decided once; its notification is
  then published once from the stored record (`outbox`). A copy that died after storing and
  before publishing is covered by the next one, which publishes what its run left unpublished.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field

from smartgrid.autarky import (
    COMMUNITY,
    HOUSE,
    Change,
    Energy,
    Hysteresis,
    decide,
    house_energy,
    subject_key,
    subject_parts,
    total,
)
from smartgrid.bus import Bus
from smartgrid.events import ClientNotification, EnergyOutputCommunity, Recipient, Topic
from smartgrid.frames import portions
from smartgrid.gridtime import iso, parse_instant
from smartgrid.settings import GridSettings
from smartgrid.stores.autarky import AutarkyStore
from smartgrid.stores.outbox import Record, publish_once
from smartgrid.tickorder import plan_run
from smartgrid.units import mwh_to_wh

CURSOR_ATTEMPTS = 5


def notification_id(subject: str, tick: str) -> str:
    """Stable: the same change always sends the same notification id."""
    return "n-" + hashlib.sha256(f"autarky#{subject}#{tick}".encode()).hexdigest()[:24]


def notification_of(change: Change) -> ClientNotification:
    kind, subject_id = subject_parts(change.subject)
    who = "Your house" if kind == HOUSE else f"Community {subject_id}"
    state = "is now autarkic" if change.autarkic else "is no longer autarkic"
    coverage = change.window.coverage_percent()
    share = f"{coverage} % of" if coverage is not None else "all of"
    message = (
        f"{who} {state}: over the {change.window_minutes} minutes from {change.window_start} to "
        f"{change.window_end}, its own production ({mwh_to_wh(change.window.supply)} Wh, battery "
        f"included) covered {share} its consumption ({mwh_to_wh(change.window.consumption)} Wh)."
    )
    return ClientNotification(
        notificationId=notification_id(change.subject, change.tick),
        recipient=Recipient(kind="house" if kind == HOUSE else "community", id=subject_id),
        subject=f"{who} {state}",
        message=message,
        timestamp=change.window_end,
    )


def ticks_of(event: EnergyOutputCommunity, tick_minutes: int) -> dict[datetime, dict[str, Energy]]:
    """Each tick an event covers, with each house's energy over it: an event over several
    ticks is spread evenly over them (the parts sum exactly)."""
    spread: dict[datetime, dict[str, Energy]] = defaultdict(dict)
    for house_id, energy in event.houses.items():
        own = house_energy(energy)
        supplies = portions(event.frameStart, event.durationMinutes, tick_minutes, own.supply)
        uses = portions(event.frameStart, event.durationMinutes, tick_minutes, own.consumption)
        for (tick, supply), (_, use) in zip(supplies, uses, strict=True):
            spread[parse_instant(tick)][house_id] = Energy(supply, use)
    if not event.houses:  # a community with no house reporting: its tick is known all the same
        for tick, _ in portions(event.frameStart, event.durationMinutes, tick_minutes, 0):
            spread[parse_instant(tick)] = {}
    return dict(spread)


@dataclass(frozen=True)
class OversightSettings:
    window_ticks: int
    tick_minutes: int
    rule: Hysteresis

    @property
    def lost_after(self) -> int:
        """A missing tick is given up once a tick a whole window later is known."""
        return self.window_ticks


class AutarkySettings(GridSettings):
    """The template's AutarkyWindowMinutes and AutarkyLossPercent (autarky-oversight and -api)."""

    autarky_table: str = Field(alias="AUTARKY_TABLE")
    window_minutes: int = Field(60, alias="AUTARKY_WINDOW_MINUTES", ge=1, le=1440)
    loss_percent: int = Field(3, alias="AUTARKY_LOSS_PERCENT", ge=0, le=50)

    def oversight(self) -> OversightSettings:
        return OversightSettings(
            window_ticks=max(1, self.window_minutes // self.tick_minutes),
            tick_minutes=self.tick_minutes,
            rule=Hysteresis(self.loss_percent),
        )


class AutarkyOversight:
    def __init__(self, store: AutarkyStore, bus: Bus, settings: OversightSettings) -> None:
        self.store = store
        self.bus = bus
        self.settings = settings

    def on_events(self, events: Iterable[EnergyOutputCommunity], lease_ms: int) -> list[ClientNotification]:
        """Stores the events' ticks, then judges each community's ticks that can be judged;
        the notifications this call published."""
        by_community: dict[str, dict[datetime, dict[str, Energy]]] = defaultdict(dict)
        for event in events:
            by_community[event.communityId].update(ticks_of(event, self.settings.tick_minutes))
        published: list[ClientNotification] = []
        for community_id, ticks in sorted(by_community.items()):
            self._store(community_id, ticks)
            published.extend(self._judge(community_id, min(ticks), max(ticks), lease_ms))
        return published

    def _store(self, community_id: str, ticks: dict[datetime, dict[str, Energy]]) -> None:
        community = subject_key(COMMUNITY, community_id)
        entries: list[tuple[str, datetime, Energy]] = []
        for tick, houses in ticks.items():
            entries.append((community, tick, total(houses.values())))
            entries.extend((subject_key(HOUSE, h), tick, e) for h, e in houses.items())
        self.store.write_energies(entries)
        self.store.add_members(community_id, {h for houses in ticks.values() for h in houses})

    def _judge(
        self, community_id: str, earliest: datetime, newest: datetime, lease_ms: int
    ) -> list[ClientNotification]:
        """Judges the community's ticks from its cursor on, as far as they are known."""
        step = timedelta(minutes=self.settings.tick_minutes)
        published: list[ClientNotification] = []
        for _ in range(CURSOR_ATTEMPTS):
            cursor = self.store.cursor(community_id)
            if cursor is None:  # the community's first events: judging starts with them
                self.store.start_cursor(community_id, earliest - step)
                continue
            known = self.store.known_ticks(community_id, cursor.through + step)
            latest = max([newest, *known])  # ticks that arrived before these count too
            run = plan_run(
                cursor.through, latest, known, self.settings.tick_minutes, self.settings.lost_after
            )
            if not run.moves:
                return published
            if run.ticks:
                subjects = [
                    subject_key(COMMUNITY, community_id),
                    *(subject_key(HOUSE, h) for h in cursor.members),
                ]
                published.extend(self._decide(subjects, run.ticks, lease_ms))
            if self.store.move_cursor(community_id, cursor.through, run.through):
                return published
        return published  # other copies keep moving it: they judge what is left

    def _decide(self, subjects: list[str], ticks: list[datetime], lease_ms: int) -> list[ClientNotification]:
        settings = self.settings
        first_needed = ticks[0] - timedelta(minutes=(settings.window_ticks - 1) * settings.tick_minutes)
        energies = self.store.energies(subjects, first_needed, ticks[-1])
        states = self.store.states(subjects)
        changes = decide(
            subjects, ticks, energies, states, settings.rule, settings.window_ticks, settings.tick_minutes
        )
        to_publish: list[tuple[dict[str, str], Record]] = []
        for change in changes:
            record = self.store.record_change(change, notification_of(change))
            if record is not None:
                to_publish.append((self.store.change_key(change.subject, change.tick), record))
        # Changes an earlier copy stored in this run and may have died before publishing
        first, last = iso(ticks[0]), iso(ticks[-1])
        for subject, state in states.items():
            if state.tick is not None and first <= state.tick <= last:
                to_publish.extend(self.store.changes_between(subject, first, state.tick))
        published: list[ClientNotification] = []
        for key, record in sorted(to_publish, key=lambda pair: (pair[0]["key"], pair[0]["subject"])):
            notification = self._publish(key, record, lease_ms)
            if notification is not None:
                published.append(notification)
        return published

    def _publish(self, key: dict[str, str], record: Record, lease_ms: int) -> ClientNotification | None:
        sent: list[ClientNotification] = []

        def publish(payload: str) -> None:
            notification = ClientNotification.model_validate_json(payload)
            self.bus.publish(Topic.CLIENT_NOTIFICATION, [notification])
            sent.append(notification)

        publish_once(self.store.outbox, key, record, publish, lease_ms)
        return sent[0] if sent else None
