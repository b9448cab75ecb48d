"""The VPP's service (vpp-api, vpp-service): enrollments, capacity, orders accepted and split,
deliveries settled from the judged ticks, and the setpoints the simulated houses follow.
See `vpp` for the rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from smartgrid.batteries import battery_id_of
from smartgrid.errors import Conflict, NotFound, Unprocessable
from smartgrid.events import EnergyOutputCommunity
from smartgrid.gridtime import floor_to_tick, iso, parse_instant
from smartgrid.ids import new_id
from smartgrid.settings import GridSettings
from smartgrid.stores.batteries import BatteriesRepository
from smartgrid.stores.clients import ClientsRepository
from smartgrid.stores.vpp import Delivery, EnrollmentRecord, OrderRecord, SurplusRecord, VppRepository
from smartgrid.units import mwh_to_wh, wh_to_mwh
from smartgrid.vpp import (
    MAX_ORDER_TICKS,
    Capacity,
    Enrollment,
    EnrollmentBody,
    HouseResources,
    OrderRequest,
    Setpoint,
    Side,
    community_capacity,
    delivered,
    offer,
    order_ticks,
    portion,
    split,
    window_capacity,
)

ALL = "all"
NO_COMMUNITY = "none"  # a house still joining its community


class TickDelivery(BaseModel):
    start: str
    plannedWh: float
    deliveredWh: float
    houses: dict[str, float] = Field(description="house id to what it delivered over the tick (Wh)")


class HouseShare(BaseModel):
    plannedWh: float
    deliveredWh: float


class OrderView(BaseModel):
    orderId: str
    side: Side
    energyWh: float
    powerW: float
    start: str
    end: str
    acceptedAt: str
    deliveredWh: float = Field(description="what the houses delivered so far (judged ticks)")
    houses: dict[str, HouseShare] = Field(description="each house's share and what it delivered")
    ticks: list[TickDelivery]


def enrollment_view(record: EnrollmentRecord) -> Enrollment:
    return Enrollment(
        houseId=record.houseId,
        enrolled=record.enrolled,
        reserveWh=mwh_to_wh(record.reserveMwh),
        updatedAt=record.updatedAt,
    )


class VppService:
    def __init__(
        self,
        repository: VppRepository,
        batteries: BatteriesRepository,
        clients: ClientsRepository,
        tick_minutes: int,
    ) -> None:
        self.repository = repository
        self.batteries = batteries
        self.clients = clients
        self.tick_minutes = tick_minutes

    # Enrollment -------------------------------------------------------------------------
    def enroll(self, house_id: str, body: EnrollmentBody, now: str) -> Enrollment:
        self.clients.require(house_id)
        record = EnrollmentRecord(
            houseId=house_id, enrolled=body.enrolled, reserveMwh=wh_to_mwh(body.reserveWh), updatedAt=now
        )
        self.repository.put_enrollment(record)
        return enrollment_view(record)

    def enrollment(self, house_id: str) -> Enrollment:
        self.clients.require(house_id)
        record = self.repository.enrollment(house_id)
        return enrollment_view(record) if record else Enrollment(houseId=house_id)

    # Capacity ---------------------------------------------------------------------------
    def resources(self) -> list[HouseResources]:
        """What each enrolled house has now: its battery's latest state, its latest surplus
        (production beyond consumption over its latest judged tick: under a sell order its
        battery stops storing it, so the house can export all of it)."""
        enrolled = self.repository.enrolled()
        ids = [e.houseId for e in enrolled]
        communities = self.clients.communities(ids)
        batteries = self.batteries.get_many(battery_id_of(h) for h in ids)
        surpluses = self.repository.surpluses(ids)
        found: list[HouseResources] = []
        for enrollment in enrolled:
            house = enrollment.houseId
            if house not in communities:
                continue
            battery = batteries.get(battery_id_of(house))
            surplus = surpluses.get(house)
            surplus_w = surplus.surplusMwh * 60 / 1000 / surplus.minutes if surplus else 0.0
            found.append(
                HouseResources(
                    house_id=house,
                    community_id=communities[house] or NO_COMMUNITY,
                    reserve_mwh=enrollment.reserveMwh,
                    stored_mwh=battery.latest.mwh if battery and battery.latest else 0,
                    capacity_mwh=battery.capacityMwh if battery else 0,
                    max_charge_w=battery.maxChargeW if battery else 0.0,
                    max_discharge_w=battery.maxDischargeW if battery else 0.0,
                    surplus_w=surplus_w,
                )
            )
        return found

    def capacity(self, now: str) -> Capacity:
        houses = self.resources()
        by_community: dict[str, list[HouseResources]] = defaultdict(list)
        for house in houses:
            by_community[house.community_id].append(house)
        return Capacity(
            at=now,
            total=community_capacity(ALL, houses),
            communities=[community_capacity(c, hs) for c, hs in sorted(by_community.items())],
        )

    # Orders -----------------------------------------------------------------------------
    def place(self, request: OrderRequest, now: str) -> OrderView:
        start, end = self._window(request, parse_instant(now))
        ticks = order_ticks(start, end, self.tick_minutes)
        minutes = len(ticks) * self.tick_minutes
        energy = wh_to_mwh(request.energyWh)
        if energy > wh_to_mwh(request.powerW * minutes / 60):
            raise Unprocessable(
                f"{request.energyWh:g} Wh over {minutes} min is more than {request.powerW:g} W",
                field="powerW",
            )
        version = self.repository.book_version()
        overlapping = self.repository.orders_between(start, end)
        if overlapping:
            other = overlapping[0]
            raise Conflict(
                f"order {other.orderId} runs from {other.start} to {other.end}: one order at a time",
                field="start",
            )
        houses = self.resources()
        offers = [offer(h, request.side, len(ticks), self.tick_minutes) for h in houses]
        available = window_capacity(offers, len(ticks))
        if energy > available:
            capacity = self.capacity(now)
            raise Unprocessable(
                f"the order ({request.energyWh:g} Wh) is more than the VPP can {request.side.value} "
                f"from {iso(start)} to {iso(end)}: {mwh_to_wh(available)} Wh",
                field="energyWh",
                details={"availableWh": mwh_to_wh(available), "capacity": capacity.model_dump(mode="json")},
            )
        order = OrderRecord(
            orderId=new_id("o"),
            side=request.side,
            energyMwh=energy,
            powerW=request.powerW,
            start=iso(start),
            end=iso(end),
            tickMinutes=self.tick_minutes,
            acceptedAt=now,
            shares=split(energy, offers, len(ticks)),
        )
        self.repository.accept(order, version)
        return self._view(order, {})

    def _window(self, request: OrderRequest, now: datetime) -> tuple[datetime, datetime]:
        start, end = parse_instant(request.start.isoformat()), parse_instant(request.end.isoformat())
        for name, moment in (("start", start), ("end", end)):
            if floor_to_tick(moment, self.tick_minutes) != moment:
                raise Unprocessable(
                    f"{name} must be on a tick boundary ({self.tick_minutes} min)", field=name
                )
        if start < now:
            raise Unprocessable(
                f"start {iso(start)} is in the past (the grid's time is {iso(now)})", field="start"
            )
        if end - start > timedelta(minutes=MAX_ORDER_TICKS * self.tick_minutes):
            raise Unprocessable(f"an order spans at most {MAX_ORDER_TICKS} ticks", field="end")
        return start, end

    def order(self, order_id: str) -> OrderView:
        order = self.repository.order(order_id)
        if order is None:
            raise NotFound(f"no order {order_id}", field="orderId")
        return self._view(order, self.repository.order_deliveries(order_id))

    def _view(self, order: OrderRecord, deliveries: dict[tuple[str, str], int]) -> OrderView:
        ticks: list[TickDelivery] = []
        done: dict[str, int] = defaultdict(int)
        for index, moment in enumerate(
            order_ticks(parse_instant(order.start), parse_instant(order.end), order.tickMinutes)
        ):
            tick = iso(moment)
            per_house = {h: deliveries[(tick, h)] for h in order.shares if (tick, h) in deliveries}
            for house, mwh in per_house.items():
                done[house] += mwh
            ticks.append(
                TickDelivery(
                    start=tick,
                    plannedWh=mwh_to_wh(sum(portion(s, order.ticks, index) for s in order.shares.values())),
                    deliveredWh=mwh_to_wh(sum(per_house.values())),
                    houses={h: mwh_to_wh(m) for h, m in per_house.items()},
                )
            )
        return OrderView(
            orderId=order.orderId,
            side=order.side,
            energyWh=mwh_to_wh(order.energyMwh),
            powerW=order.powerW,
            start=order.start,
            end=order.end,
            acceptedAt=order.acceptedAt,
            deliveredWh=mwh_to_wh(sum(done.values())),
            houses={
                h: HouseShare(plannedWh=mwh_to_wh(s), deliveredWh=mwh_to_wh(done.get(h, 0)))
                for h, s in sorted(order.shares.items())
            },
            ticks=ticks,
        )

    # Settling ---------------------------------------------------------------------------
    def settle(self, events: Sequence[EnergyOutputCommunity]) -> list[Delivery]:
        """Records, for each judged tick, what each enrolled house delivered to the order that
        covers it, and each enrolled house's latest surplus. Idempotent: values at keys."""
        enrolled = {e.houseId for e in self.repository.enrolled()}
        deliveries: list[Delivery] = []
        for event in events:
            tick = parse_instant(event.frameStart)
            for house, energy in event.houses.items():
                if house in enrolled:
                    self.repository.put_surplus(
                        SurplusRecord(
                            houseId=house,
                            tick=iso(tick),
                            minutes=event.durationMinutes,
                            surplusMwh=max(0, energy.productionMwh - energy.consumptionMwh),
                        )
                    )
            for order in self.repository.orders_between(
                tick, tick + timedelta(minutes=event.durationMinutes)
            ):
                index = order.tick_index(tick)
                if index is None:
                    continue
                for house, share in order.shares.items():
                    judged = event.houses.get(house)
                    if judged is None or house not in enrolled:
                        continue
                    setpoint = portion(share, order.ticks, index)
                    deliveries.append(
                        Delivery(
                            order.orderId,
                            house,
                            iso(tick),
                            order.side,
                            delivered(order.side, setpoint, judged),
                        )
                    )
        self.repository.record_deliveries(deliveries)
        return deliveries


def setpoints(
    repository: VppRepository, house_ids: Iterable[str], first: datetime, last: datetime
) -> dict[str, dict[datetime, Setpoint]]:
    """What each of these houses is asked to do at each tick of [first, last) that an order
    covers, if it is enrolled now (with its reserve now)."""
    orders = repository.orders_between(first, last)
    if not orders:
        return {}
    wanted = set(house_ids)
    involved = {h for o in orders for h in o.shares if h in wanted}
    enrollments = {h: e for h, e in repository.enrollments(involved).items() if e.enrolled}
    found: dict[str, dict[datetime, Setpoint]] = defaultdict(dict)
    for order in orders:
        moments = order_ticks(parse_instant(order.start), parse_instant(order.end), order.tickMinutes)
        for house, share in order.shares.items():
            enrollment = enrollments.get(house)
            if enrollment is None:
                continue
            for index, moment in enumerate(moments):
                if first <= moment < last:
                    found[house][moment] = Setpoint(
                        order.side, portion(share, len(moments), index), enrollment.reserveMwh
                    )
    return dict(found)


class VppSettings(GridSettings):
    """What vpp-api and vpp-service read from the env the template sets."""

    vpp_table: str = Field(alias="VPP_TABLE")
    batteries_table: str = Field(alias="BATTERIES_TABLE")
    clients_table: str = Field(alias="CLIENTS_TABLE")

    def service(self) -> VppService:
        return VppService(
            VppRepository(self.vpp_table),
            BatteriesRepository(self.batteries_table),
            ClientsRepository(self.clients_table),
            self.tick_minutes,
        )
