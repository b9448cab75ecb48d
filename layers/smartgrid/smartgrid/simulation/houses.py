"""The `house` service: the fleet of simulated houses, each a real client of the grid's API.

A house is registered through the API (`POST /houses`, then `POST /houses/{id}/producer`
with its own token when it produces, and `POST /houses/{id}/battery` when staff fit it a
battery) and kept in SimHousesTable with its token: the simulator is the house's smart box.
On every move of the clock, each house reports its objects' consumption and its production
through the head-end (`POST /readings` batches), and what its battery holds at the end of
each interval (`POST /batteries/states` batches).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, model_validator

from smartgrid.batteries import State
from smartgrid.errors import Conflict, NotFound, Unprocessable
from smartgrid.gridclient import GridClient, GridClientError
from smartgrid.gridtime import iso, parse_instant
from smartgrid.models import Location, Policy, Strict
from smartgrid.simulation.fleet import GridApiError, Kind, Outbox, ReportSummary, call_api
from smartgrid.simulation.house import (
    MAX_OBJECTS,
    BatteryRequest,
    HouseReading,
    LastReadings,
    ObjectChange,
    ObjectKind,
    ObjectSchedule,
    ObjectSpec,
    PlanMark,
    SimBattery,
    SimHouse,
    SimHouseState,
    SimObject,
    battery_mwh,
    battery_states,
    delivered_wh,
    done_mwh,
    needs_plan,
    plan_request,
    simulate,
)
from smartgrid.simulation.profiles import Profile
from smartgrid.simulation.timeline import ClockMove, report_intervals, span_to_report
from smartgrid.stores.schedules import SchedulesStore
from smartgrid.stores.simulation import Entry, SimulatorTable
from smartgrid.units import mwh_to_wh, wh_to_mwh
from smartgrid.vpp import Setpoint

R = TypeVar("R")
Name = Annotated[str, Field(min_length=1, max_length=100)]


class HouseRequest(Strict):
    """`POST /sim/houses`."""

    name: Name
    location: Location
    acceptedPolicies: list[Policy] = Field(default_factory=list, max_length=3)
    objects: list[ObjectSpec] = Field(default_factory=list, max_length=MAX_OBJECTS)
    produces: bool | None = Field(
        None, description="register the house as a local producer (default: if it has producing objects)"
    )
    battery: BatteryRequest | None = Field(None, description="fit it a battery (a house that produces)")

    @model_validator(mode="after")
    def _coherent(self) -> HouseRequest:
        names = [o.name for o in self.objects]
        if len(set(names)) != len(names):
            raise ValueError("object names must be unique in a house")
        if self.produces is False and any(o.kind is ObjectKind.PRODUCER for o in self.objects):
            raise ValueError("a house with producing objects produces")
        if self.battery is not None and not self.will_produce:
            raise ValueError("a battery is for a house that produces (produces, or a producing object)")
        return self

    @property
    def will_produce(self) -> bool:
        if self.produces is not None:
            return self.produces
        return any(o.kind is ObjectKind.PRODUCER for o in self.objects)


class ObjectView(BaseModel):
    name: str
    kind: ObjectKind
    powerW: float
    enabled: bool
    profile: Profile
    energyWh: float | None = None
    deadline: str | None = None
    deliveredWh: float | None = Field(None, description="schedulable: energy delivered in this cycle")


class SimBatteryView(BaseModel):
    batteryId: str
    capacityWh: float
    maxChargeW: float
    maxDischargeW: float
    storedWh: float = Field(description="what it holds at reportedUntil")


class SimHouseView(BaseModel):
    houseId: str
    name: str
    location: Location
    producerId: str | None
    objects: list[ObjectView]
    battery: SimBatteryView | None = Field(None, description="the house's battery, if it has one")
    reportedUntil: str | None = Field(None, description="every tick before this instant is reported")
    lastReadings: LastReadings | None = None


def view(house: SimHouse, state: SimHouseState | None) -> SimHouseView:
    return SimHouseView(
        houseId=house.houseId,
        name=house.name,
        location=house.location,
        producerId=house.producerId,
        objects=[
            ObjectView(
                name=o.name,
                kind=o.kind,
                powerW=o.powerW,
                enabled=o.enabled,
                profile=o.profile,
                energyWh=o.energyWh,
                deadline=o.deadline,
                deliveredWh=delivered_wh(o, state),
            )
            for o in house.objects
        ],
        battery=battery_view(house, state),
        reportedUntil=state.reportedUntil if state else None,
        lastReadings=state.lastReadings if state else None,
    )


def battery_view(house: SimHouse, state: SimHouseState | None) -> SimBatteryView | None:
    stored = battery_mwh(house, state)
    if house.battery is None or stored is None:
        return None
    return SimBatteryView(
        batteryId=house.battery.batteryId,
        capacityWh=mwh_to_wh(house.battery.capacityMwh),
        maxChargeW=house.battery.maxChargeW,
        maxDischargeW=house.battery.maxDischargeW,
        storedWh=mwh_to_wh(stored),
    )


def battery_body(battery: SimBattery, state: State) -> dict[str, Any]:
    return {"batteryId": battery.batteryId, "timestamp": iso(state.at), "storedWh": mwh_to_wh(state.mwh)}


def consumption_body(house: SimHouse, reading: HouseReading) -> dict[str, Any]:
    return {
        "houseId": house.houseId,
        "timestamp": reading.interval.timestamp,
        "durationMinutes": reading.interval.minutes,
        "objects": {name: mwh_to_wh(mwh) for name, mwh in reading.objects.items()},
    }


def production_body(producer_id: str, reading: HouseReading) -> dict[str, Any]:
    return {
        "producerId": producer_id,
        "timestamp": reading.interval.timestamp,
        "durationMinutes": reading.interval.minutes,
        "wh": mwh_to_wh(reading.production_mwh),
    }


HouseTable = SimulatorTable[SimHouse, SimHouseState]
HouseEntry = Entry[SimHouse, SimHouseState]
ObjectKey = tuple[str, str]
# The plans of schedulable objects, by (house, object): consumption-scheduler's, read-only.
PlanLookup = Callable[[list[ObjectKey]], Mapping[ObjectKey, ObjectSchedule]]
# The VPP's setpoints of houses over [first, last), by house then tick start: the VPP's, read-only.
DispatchLookup = Callable[[list[str], datetime, datetime], Mapping[str, Mapping[datetime, Setpoint]]]
CHUNK = 100  # houses whose plans are read together


def house_table(table_name: str) -> HouseTable:
    return SimulatorTable(table_name, "houseId", SimHouse, SimHouseState, "house")


def plan_lookup(store: SchedulesStore) -> PlanLookup:
    """The plans as the boxes follow them, read from consumption-scheduler's store."""

    def lookup(keys: list[ObjectKey]) -> Mapping[ObjectKey, ObjectSchedule]:
        return {
            key: ObjectSchedule(tuple(plan.slot_list()), parse_instant(plan.finishesAt))
            for key, plan in store.get_many(keys).items()
        }

    return lookup


def _request_schedule(api: GridClient, *, house: SimHouse, name: str, body: Mapping[str, Any]) -> None:
    api.request_schedule(house.houseId, house.token, name, body)


def _cancel_schedule(api: GridClient, *, house: SimHouse, name: str) -> None:
    api.cancel_schedule(house.houseId, house.token, name)


def _chunks(entries: Iterable[HouseEntry], size: int) -> Iterator[list[HouseEntry]]:
    iterator = iter(entries)
    while chunk := list(islice(iterator, size)):
        yield chunk


class HouseFleet:
    def __init__(
        self,
        table: HouseTable,
        client: Callable[[], GridClient],
        plans: PlanLookup | None = None,
        dispatch: DispatchLookup | None = None,
    ) -> None:
        self.table = table
        self._client = client
        self._plans = plans
        self._dispatch = dispatch

    def _api(self, call: Callable[[GridClient], R]) -> R:
        return call_api(self._client, call)

    # Staff set houses up ----------------------------------------------------------------
    def create(self, request: HouseRequest) -> SimHouseView:
        produces = request.produces
        if produces is None:
            produces = any(o.kind is ObjectKind.PRODUCER for o in request.objects)
        registered = self._api(
            lambda api: api.register_house(
                request.name, request.location.model_dump(), [p.value for p in request.acceptedPolicies]
            )
        )
        producer_id = (
            self._api(lambda api: api.house_becomes_producer(registered.id, registered.token))
            if produces
            else None
        )
        now = self._api(lambda api: api.clock())
        house = SimHouse(
            houseId=registered.id,
            name=request.name,
            location=request.location,
            acceptedPolicies=request.acceptedPolicies,
            token=registered.token,
            producerId=producer_id,
            objects=[SimObject.of(o) for o in request.objects],
            createdAt=iso(datetime.now(UTC)),
        )
        if request.battery is not None:
            house = house.model_copy(update={"battery": self._fit_battery(house, request.battery)})
        state = SimHouseState(reportedUntil=now)  # it reports from the grid's current tick on
        self.table.create(house.houseId, house, state)
        return view(house, state)

    def view(self, house_id: str) -> SimHouseView:
        entry = self.table.require(house_id)
        return view(entry.spec, entry.state)

    def add_battery(self, house_id: str, request: BatteryRequest) -> SimHouseView:
        """Thomas fits a battery to a house that produces: registered through the grid's API
        with the house's own token, and its first state reported at the grid's time."""
        entry = self.table.require(house_id)
        house = entry.spec
        if house.battery is not None:
            raise Conflict(f"the house has a battery already: {house.battery.batteryId}", field="houseId")
        if house.producerId is None:
            raise Conflict(
                "a battery is for a house that produces: add a producing object first", field="houseId"
            )
        battery = self._fit_battery(house, request)
        return self._save(entry, house.model_copy(update={"battery": battery}))

    def _fit_battery(self, house: SimHouse, request: BatteryRequest) -> SimBattery:
        body = request.model_dump(exclude={"storedWh"})
        try:
            fitted = self._client().register_battery(house.houseId, house.token, body)
        except GridClientError as error:
            if error.status != 409:
                raise GridApiError(f"the grid's API: {error}") from error
            # Fitted already (a retry after the house failed to be saved): take it as it is.
            return self._adopt_battery(house)
        now = self._api(lambda api: api.clock())
        battery = SimBattery(
            batteryId=str(fitted["batteryId"]),
            capacityMwh=wh_to_mwh(fitted["capacityWh"]),
            maxChargeW=float(fitted["maxChargeW"]),
            maxDischargeW=float(fitted["maxDischargeW"]),
            initialMwh=wh_to_mwh(request.storedWh),
            installedAt=now,
        )
        self._api(lambda api: api.post_battery_state(battery.batteryId, house.token, now, request.storedWh))
        return battery

    def _adopt_battery(self, house: SimHouse) -> SimBattery:
        found = self._api(lambda api: api.house_battery(house.houseId, house.token))
        latest = found.get("latestState") or {"timestamp": found["registeredAt"], "storedWh": 0}
        if found.get("latestState") is None:
            self._api(
                lambda api: api.post_battery_state(found["batteryId"], house.token, latest["timestamp"], 0)
            )
        return SimBattery(
            batteryId=str(found["batteryId"]),
            capacityMwh=wh_to_mwh(found["capacityWh"]),
            maxChargeW=float(found["maxChargeW"]),
            maxDischargeW=float(found["maxDischargeW"]),
            initialMwh=wh_to_mwh(latest["storedWh"]),
            installedAt=str(latest["timestamp"]),
        )

    def add_object(self, house_id: str, spec: ObjectSpec) -> SimHouseView:
        entry = self.table.require(house_id)
        house = entry.spec
        if house.object(spec.name) is not None:
            raise Conflict(f"the house has an object {spec.name} already", field="name")
        if len(house.objects) >= MAX_OBJECTS:
            raise Unprocessable(f"a house has at most {MAX_OBJECTS} objects", field="name")
        producer_id = house.producerId
        if spec.kind is ObjectKind.PRODUCER and producer_id is None:
            # Albert installs panels: the house becomes a local producer, with its own token.
            producer_id = self._api(lambda api: api.house_becomes_producer(house.houseId, house.token))
        changed = house.model_copy(
            update={"objects": [*house.objects, SimObject.of(spec)], "producerId": producer_id}
        )
        return self._save(entry, changed)

    def change_object(self, house_id: str, name: str, change: ObjectChange) -> SimHouseView:
        entry = self.table.require(house_id)
        current = _require_object(entry.spec, name)
        try:
            updated = current.changed(change)
        except ValueError as error:
            raise Unprocessable(str(error), field="body") from error
        objects = [updated if o.name == name else o for o in entry.spec.objects]
        return self._save(entry, entry.spec.model_copy(update={"objects": objects}))

    def remove_object(self, house_id: str, name: str) -> SimHouseView:
        entry = self.table.require(house_id)
        _require_object(entry.spec, name)
        objects = [o for o in entry.spec.objects if o.name != name]
        return self._save(entry, entry.spec.model_copy(update={"objects": objects}))

    def _save(self, entry: Entry[SimHouse, SimHouseState], house: SimHouse) -> SimHouseView:
        self.table.put_spec(house.houseId, house, entry.version)
        return view(house, entry.state)

    # Each move of the clock -------------------------------------------------------------
    def report(self, move: ClockMove) -> ReportSummary:
        """Every house reports what is left of the move for it (see `timeline`)."""
        summary = ReportSummary()
        outbox: Outbox[SimHouseState] = Outbox(self._client, self.table.save_states)
        consumption_mwh = production_mwh = 0
        for chunk in _chunks(self.table.all(), CHUNK):
            states = {e.id: e.state or SimHouseState(reportedUntil=move.previous) for e in chunk}
            marks = {e.id: self._ask_for_plans(e.spec, states[e.id], move, summary) for e in chunk}
            schedules = self._schedules(chunk, states, marks)
            setpoints = self._setpoints(chunk, states, move)
            for entry in chunk:
                state = states[entry.id]
                span = span_to_report(move, state.reportedUntil)
                if span is None:
                    continue
                intervals = report_intervals(span[0], span[1], move.tickMinutes)
                own = {name: plan for (house, name), plan in schedules.items() if house == entry.id}
                readings, delivered = simulate(entry.spec, state.delivered, intervals, own)
                producer_id = entry.spec.producerId
                bodies: list[tuple[Kind, Mapping[str, Any]]] = []
                for reading in readings:
                    if reading.objects:
                        bodies.append(("consumption", consumption_body(entry.spec, reading)))
                        consumption_mwh += sum(reading.objects.values())
                    if producer_id:
                        bodies.append(("production", production_body(producer_id, reading)))
                        production_mwh += reading.production_mwh
                stored = battery_mwh(entry.spec, state)
                battery = entry.spec.battery
                if battery is not None and stored is not None:
                    own_setpoints = setpoints.get(entry.id)
                    for battery_state in battery_states(battery, stored, readings, own_setpoints):
                        bodies.append(("battery", battery_body(battery, battery_state)))
                        stored = battery_state.mwh
                last = readings[-1].last_readings(producer_id is not None) if readings else state.lastReadings
                following = SimHouseState(
                    reportedUntil=move.now,
                    delivered=delivered,
                    lastReadings=last,
                    planned=marks[entry.id],
                    batteryMwh=stored,
                )
                outbox.add(entry.id, bodies, following)
                summary.sources += 1
                summary.readings += len(bodies)
        outcome = outbox.close()
        summary.consumptionWh = mwh_to_wh(consumption_mwh)
        summary.productionWh = mwh_to_wh(production_mwh)
        summary.accepted, summary.duplicates, summary.refused = (
            outcome.accepted,
            outcome.duplicates,
            outcome.refused,
        )
        summary.refusals.extend(outcome.reasons)
        return summary

    def _ask_for_plans(
        self, house: SimHouse, state: SimHouseState, move: ClockMove, summary: ReportSummary
    ) -> dict[str, PlanMark]:
        """The box asks a plan for each schedulable object that needs one and changed since
        it asked (or never asked), and cancels the plans of objects switched off or unplugged.
        A house still registering (409) asks again on the next move."""
        marks = dict(state.planned)
        now = parse_instant(move.now)
        for obj in house.objects:
            mark = PlanMark.of(obj)
            if not needs_plan(obj, state.delivered) or marks.get(obj.name) == mark:
                continue
            body = plan_request(obj, done_mwh(obj, state.delivered), now)
            try:
                self._api(partial(_request_schedule, house=house, name=obj.name, body=body))
            except GridApiError as error:
                cause = error.__cause__
                if not (isinstance(cause, GridClientError) and cause.status == 409):
                    summary.refusals.append(f"{house.houseId}/{obj.name}: {error}")
                continue
            marks[obj.name] = mark
        for name in list(marks):
            current = house.object(name)
            if current is None or not current.enabled:
                self._api(partial(_cancel_schedule, house=house, name=name))
                del marks[name]
        return marks

    def _setpoints(
        self, chunk: list[HouseEntry], states: Mapping[str, SimHouseState], move: ClockMove
    ) -> Mapping[str, Mapping[datetime, Setpoint]]:
        """The VPP's setpoints of the chunk's houses with a battery, over what they report."""
        with_battery = [e.id for e in chunk if e.spec.battery is not None]
        if not with_battery or self._dispatch is None:
            return {}
        first = min(parse_instant(states[h].reportedUntil) for h in with_battery)
        return self._dispatch(with_battery, first, parse_instant(move.now))

    def _schedules(
        self,
        chunk: list[HouseEntry],
        states: Mapping[str, SimHouseState],
        marks: Mapping[str, dict[str, PlanMark]],
    ) -> Mapping[ObjectKey, ObjectSchedule]:
        wanted = [
            (entry.id, obj.name)
            for entry in chunk
            for obj in entry.spec.objects
            if obj.name in marks[entry.id] and needs_plan(obj, states[entry.id].delivered)
        ]
        if not wanted or self._plans is None:
            return {}
        return self._plans(wanted)


def _require_object(house: SimHouse, name: str) -> SimObject:
    found = house.object(name)
    if found is None:
        raise NotFound(f"the house has no object {name}", field="name")
    return found
