"""The malfunction detector: readings, refusals, tallies and clock moves in; alerts out.

Every observation is applied to its subject's stored state (see `stores.malfunctions`), with
the alerts it decides, in one conditional write; then those alerts are published on `alert`
(attribute `alertType`: `alert.<type>` to a subscriber's filter). A subject nothing has
gone wrong with is not written to for a normal observation: a healthy house costs its
`coveredUntil` and nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import Field

from smartgrid.bus import Bus
from smartgrid.clock import ClockMove
from smartgrid.errors import Conflict
from smartgrid.events import (
    Alert,
    AlertSubject,
    BatteryState,
    DetailedConsumptionReading,
    ElectricityFrame,
    EnergyOutputCommunity,
    ProductionReading,
    ReadingRefused,
    Topic,
)
from smartgrid.gridtime import iso, parse_instant
from smartgrid.malfunctions import checks
from smartgrid.malfunctions.checks import Seen
from smartgrid.malfunctions.episodes import Observation, apply
from smartgrid.malfunctions.silence import (
    community_silence,
    cutoff,
    house_silence,
    judged_cutoff,
    remembered,
)
from smartgrid.malfunctions.tallies import community_tallies
from smartgrid.models import HouseRecord
from smartgrid.settings import GridSettings
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.malfunctions import ItemKey, MalfunctionsStore, Stored, coverage_key, faults_key

ATTEMPTS = 8  # a subject written meanwhile by another copy is read and decided again

Reading = DetailedConsumptionReading | ProductionReading | BatteryState | ReadingRefused
HouseLookup = Callable[[list[str]], Mapping[str, HouseRecord]]


@dataclass
class MoveOutcome:
    cutoff: str | None = None  # None: a stale move (a later one was judged already)
    behind: bool = False  # judged short of the move's cutoff: readings wait in the queue
    houses: int = 0
    silent: list[str] = field(default_factory=list)
    alerts: int = 0


def _house_of(reading: Reading) -> str | None:
    return reading.houseId


def _always(observations: list[Observation]) -> Callable[[Stored], list[Observation]]:
    """The same observations, whatever the subject's fresh read says."""
    return lambda _: observations


def _covered_until(reading: Reading) -> str:
    """The end of what a reading covers (refused or not: a meter that sends is not silent);
    a battery state's is its instant."""
    if isinstance(reading, BatteryState):
        return reading.timestamp
    return iso(parse_instant(reading.timestamp) + timedelta(minutes=reading.durationMinutes))


class Detector:
    def __init__(
        self,
        store: MalfunctionsStore,
        bus: Bus,
        houses: HouseLookup,
        *,
        max_house_power_w: float,
        silence_ticks: int,
    ) -> None:
        self.store = store
        self.bus = bus
        self.houses = houses
        self.max_house_power_w = max_house_power_w
        self.silence_ticks = silence_ticks

    # Readings and refusals ---------------------------------------------------------------
    def on_readings(self, readings: Sequence[Reading]) -> list[Alert]:
        """Judges readings (each house's coverage moves on); the alerts published."""
        wanted = sorted({h for r in readings if (h := _house_of(r))})
        records = self.houses(wanted) if wanted else {}
        seen: list[Seen] = []
        coverage: dict[ItemKey, str] = {}
        for reading in readings:
            house_id = _house_of(reading)
            record = records.get(house_id) if house_id else None
            community = getattr(reading, "communityId", None) or (record.communityId if record else None)
            seen.extend(self._checks(reading, record, community))
            if house_id and community:  # a house still registering is not watched yet
                key = coverage_key(community, house_id)
                coverage[key] = max(coverage.get(key, ""), _covered_until(reading))
        self.store.cover(coverage)
        if coverage:
            self.store.hear(max(coverage.values()))
        return self.observe(seen)

    def _checks(self, reading: Reading, record: HouseRecord | None, community: str | None) -> list[Seen]:
        if isinstance(reading, DetailedConsumptionReading):
            found = checks.consumption(reading, self.max_house_power_w)
        elif isinstance(reading, ProductionReading):
            found = checks.production(reading, record.location if record else None)
        elif isinstance(reading, BatteryState):
            found = checks.battery(reading)
        else:
            found = checks.refused(reading)
        if community is None:
            return found
        return [Seen(s.subject, s.community_id or community, s.observation) for s in found]

    # Tallies -------------------------------------------------------------------------------
    def on_tallies(self, frame: ElectricityFrame, judged: Iterable[EnergyOutputCommunity]) -> list[Alert]:
        """Compares a tick's frame with its judged houses, community by community."""
        return self.observe(
            Seen(AlertSubject(kind="community", id=community), community, observation)
            for community, observation in community_tallies(frame, judged).items()
        )

    # Observations to alerts ----------------------------------------------------------------
    def observe(self, seen: Iterable[Seen]) -> list[Alert]:
        """Applies observations to their subjects' alerts; the alerts published."""
        grouped: dict[ItemKey, list[Seen]] = defaultdict(list)
        for item in seen:
            grouped[faults_key(item.subject)].append(item)
        stored = self.store.get_many(grouped)
        published: list[Alert] = []
        for key, items in grouped.items():
            current = stored.get(key)
            if current is None and not any(i.observation.faulty for i in items):
                continue  # nothing was ever wrong with it, and nothing is
            community = next((i.community_id for i in items if i.community_id), None)
            observations = _always([i.observation for i in items])
            published += self._update(current or Stored(key), items[0].subject, community, observations)
        return published

    def _update(
        self,
        current: Stored,
        subject: AlertSubject,
        community: str | None,
        observations_of: Callable[[Stored], list[Observation]],
    ) -> list[Alert]:
        """Decides and stores a subject's alerts (again from a fresh read if it was written
        meanwhile), then publishes them and anything an earlier run left unpublished."""
        for _ in range(ATTEMPTS):
            state = current.state
            if community and state.communityId is None:
                state = state.model_copy(update={"communityId": community})
            decided, alerts = apply(state, subject, observations_of(current))
            if decided.tracks == current.state.tracks:
                return self._publish(current.key, current.outbox, current.version)
            outbox = current.outbox + [a.model_dump_json() for a in alerts]
            version = self.store.save(current, decided, outbox)
            if version is not None:
                return self._publish(current.key, outbox, version)
            current = self.store.get(current.key)
        raise Conflict(f"{current.key} kept changing: try again")

    def _publish(self, key: ItemKey, outbox: list[str], version: int) -> list[Alert]:
        if not outbox:
            return []
        alerts = [Alert.model_validate_json(entry) for entry in outbox]
        by_type: dict[str, list[Alert]] = defaultdict(list)
        for alert in alerts:
            by_type[alert.alertType].append(alert)
        for alert_type, group in by_type.items():
            self.bus.publish(Topic.ALERT, group, {"alertType": alert_type})
        self.store.clear_outbox(key, version)
        return alerts

    # Clock moves ---------------------------------------------------------------------------
    def on_move(
        self, move: ClockMove, community_ids: Iterable[str], *, readings_waiting: bool = False
    ) -> MoveOutcome:
        """Judges every watched house's silence, and each community's, on a clock move
        (`readings_waiting`: the detector's queue is not empty, see `silence.judged_cutoff`)."""
        ends = self._remember(move)
        if ends is None:
            return MoveOutcome()
        due = cutoff(ends, move.previous, self.silence_ticks, move.tickMinutes)
        cut = judged_cutoff(due, self.store.heard_until() if readings_waiting else None, readings_waiting)
        outcome = MoveOutcome(cutoff=cut, behind=cut < due)

        def silence(stored: Stored) -> list[Observation]:
            return [house_silence(stored.covered_until or "", cut, move.now, move.tickMinutes)]

        for community in community_ids:
            houses, own = self.store.community(community)
            silent: list[str] = []
            for stored in houses:
                subject = AlertSubject(kind="house", id=stored.house_id)
                outcome.alerts += len(self._update(stored, subject, community, silence))
                if (stored.covered_until or "") < cut:
                    silent.append(stored.house_id)
            observation = community_silence(len(silent), len(houses), move.now)
            subject = AlertSubject(kind="community", id=community)
            if own.version or observation.faulty:
                outcome.alerts += len(self._update(own, subject, community, _always([observation])))
            outcome.houses += len(houses)
            outcome.silent += silent
        return outcome

    def _remember(self, move: ClockMove) -> list[str] | None:
        """Records the move's ends; the ends known, or None if a later move was seen already
        (an event delivered late: the later one judged with a later cutoff)."""
        for _ in range(ATTEMPTS):
            ends, version = self.store.moves()
            if any(end > move.now for end in ends):
                return None
            known = remembered(ends, move.previous, move.now)
            if known == ends or self.store.save_moves(known, version):
                return known
        raise Conflict("the clock's moves kept changing: try again")


class DetectorSettings(GridSettings):
    """What both of the detector's functions read (template parameters SilenceTicks, MaxHousePowerW)."""

    malfunctions_table: str = Field(alias="MALFUNCTIONS_TABLE")
    clients_table: str = Field(alias="CLIENTS_TABLE")
    silence_ticks: int = Field(3, alias="SILENCE_TICKS", ge=1)
    max_house_power_w: float = Field(checks.DEFAULT_MAX_HOUSE_POWER_W, alias="MAX_HOUSE_POWER_W", gt=0)

    def detector(self) -> Detector:
        return Detector(
            MalfunctionsStore(self.malfunctions_table),
            Bus(),
            ClientsRepository(self.clients_table).get_many,
            max_house_power_w=self.max_house_power_w,
            silence_ticks=self.silence_ticks,
        )
