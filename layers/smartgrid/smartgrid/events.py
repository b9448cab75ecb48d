"""Every event on the bus (the mission's topics a to m, plus alerts).

A message on a topic carries a batch of events of that topic's type: readings travel
hundreds to a message, so the bus is never the bottleneck. Energies are whole mWh.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Topic(StrEnum):
    PRODUCTION_RAW_GLOBAL = "production.raw.global"  # a
    CONSUMPTION_RAW_DETAILED = "consumption.raw.detailed"  # b
    CONSUMPTION_CLIENT = "consumption.client"  # c
    PRODUCTION_ADAPT = "production.adapt"  # d
    CONSUMPTION_PEAK = "consumption.peak"  # e
    ELECTRICITY_FRAME = "electricity.frame"  # f
    ENERGY_OUTPUT_COMMUNITY = "energy.output.community"  # g
    PRODUCTION_LIMIT = "production.limit"  # h
    REACH_PRODUCTION_LIMIT = "reach.production.limit"  # i
    BATTERY_STATE = "battery.state"  # j
    CLIENT_NOTIFICATION = "client.notification"  # k
    SALE_DATA = "sale.data"  # l, the data type is the message attribute `dataType`
    BATTERY_SUBSCRIPTION = "battery.subscription"  # m
    ALERT = "alert"  # malfunctions (story 21), the alert type is the attribute `alertType`
    READING_REFUSED = "reading.refused"  # a reading refused as impossible: a faulty meter (story 21)

    @property
    def env_var(self) -> str:
        """The environment variable that holds this topic's ARN."""
        return self.value.replace(".", "_").upper() + "_TOPIC_ARN"


Mwh = Annotated[int, Field(description="energy in milliwatt-hours")]
Instant = Annotated[str, Field(description="ISO 8601 UTC instant, on a tick boundary")]


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProductionReading(Event):
    producerId: str
    kind: Literal["house", "utility"]
    houseId: str | None = None
    communityId: str | None = Field(None, description="a house producer's community, when known")
    timestamp: Instant
    durationMinutes: int = 1
    mwh: Mwh


class DetailedConsumptionReading(Event):
    houseId: str
    communityId: str | None = Field(None, description="the house's community, when known")
    timestamp: Instant
    durationMinutes: int = 1
    objects: dict[str, Mwh]


class ClientConsumption(Event):
    houseId: str
    communityId: str | None = Field(None, description="the house's community, when known")
    timestamp: Instant
    durationMinutes: int = 1
    mwh: Mwh


class ProductionAdapt(Event):
    frameStart: Instant
    marginW: float = Field(description="production must change by this much (+ more, - less)")
    consumptionW: float
    productionW: float


class ConsumptionPeak(Event):
    communityId: str
    frameStart: Instant
    valueW: float
    thresholdW: float


class FrameTotals(Event):
    consumptionMwh: Mwh = 0
    productionMwh: Mwh = Field(0, description="house and utility production together")
    houseProductionMwh: Mwh = 0
    utilityProductionMwh: Mwh = 0


class ElectricityFrame(Event):
    """One closed frame (a tick): what was consumed and produced, per community and in all."""

    frameStart: Instant
    durationMinutes: int
    grid: FrameTotals
    communities: dict[str, FrameTotals] = Field(description="community id to its totals")
    producers: dict[str, Mwh] = Field(default_factory=dict, description="utility producer id to production")


class HouseEnergy(Event):
    """A house's energy over one tick, judged once its readings are in (t-5). Balanced:
    production + batteryDischarge + bought = consumption + batteryCharge + sold, and at most
    one of bought and sold is not 0 (the house's exchange with the grid over the tick)."""

    consumptionMwh: Mwh = 0
    productionMwh: Mwh = 0
    batteryChargeMwh: Mwh = Field(0, description="stored into its battery over the tick")
    batteryDischargeMwh: Mwh = Field(0, description="drawn from its battery over the tick")
    boughtMwh: Mwh = Field(0, description="taken from the grid: consumption not covered by its own")
    soldMwh: Mwh = Field(0, description="given to the grid: surplus neither consumed nor stored")


class EnergyOutputCommunity(Event):
    """A community's houses over one tick (energy.output.community): what each consumed,
    produced, stored and exchanged with the grid."""

    communityId: str
    frameStart: Instant
    durationMinutes: int
    houses: dict[str, HouseEnergy] = Field(description="house id to its energy over the tick")


class ProductionLimit(Event):
    producerId: str
    limitW: float
    timestamp: Instant


class ReachProductionLimit(Event):
    frameStart: Instant
    shortfallW: float


class BatteryState(Event):
    """What a battery holds at `timestamp` (a tick boundary: the end of the tick it reports)."""

    batteryId: str
    houseId: str
    timestamp: Instant
    storedMwh: Mwh


class Recipient(Event):
    kind: Literal["house", "community"]
    id: str


class ClientNotification(Event):
    notificationId: str
    recipient: Recipient
    subject: str
    message: str
    timestamp: Instant


class SaleData(Event):
    """A partner bought data: what, for which days, from how many clients, for how much."""

    saleId: str
    partnerId: str
    dataType: Literal["consumption", "production", "detailed"]
    datapoints: int = Field(description="what the sale cost the partner")
    firstDay: str = Field(description="first day of the data sold, YYYY-MM-DD")
    lastDay: str = Field(description="last day of the data sold, YYYY-MM-DD")
    clients: int = Field(description="how many consenting clients the data covers")
    timestamp: Instant


class BatterySubscription(Event):
    batteryId: str
    houseId: str
    capacityMwh: Mwh
    maxChargeW: float
    maxDischargeW: float
    timestamp: Instant


class AlertSubject(Event):
    kind: Literal["house", "community", "producer", "grid"]
    id: str


AlertDetail = str | int | float


class Alert(Event):
    """Something staff (or a technician) must know: `alertId` is stable, so a consumer that
    sees an alert twice keeps it once. An alert that lasts (a malfunction) is published when
    it opens, again now and then while it lasts (a later `lastSeen`), and when it closes."""

    alertId: str
    alertType: str
    subject: AlertSubject
    message: str
    timestamp: Instant = Field(description="when this was decided: the opening, latest or closing instant")
    status: Literal["open", "closed"] = Field("open", description="closed: the subject is normal again")
    communityId: str | None = Field(None, description="the subject's community, when known")
    since: Instant | None = Field(None, description="when the fault began (absent: timestamp)")
    lastSeen: Instant | None = Field(None, description="the latest instant the fault was observed")
    details: dict[str, AlertDetail] = Field(default_factory=dict)


class ReadingRefused(Event):
    """A reading the providers refused because it cannot be true: a meter's fault, not a bad
    request (a negative energy; a battery state beyond its capacity or faster than its rates).
    The refusal is the answer to the sender; this event tells the malfunction detector."""

    kind: Literal["consumption", "production", "battery"]
    reason: Literal["negative-energy", "battery-physics"]
    houseId: str | None = Field(None, description="the house whose meter sent it (absent: a utility's)")
    producerId: str | None = None
    batteryId: str | None = None
    communityId: str | None = Field(None, description="the house's community, when known")
    timestamp: Instant = Field(description="the tick (a battery: the instant) the reading was for")
    durationMinutes: int = Field(0, description="the minutes the reading covered (0: a battery's instant)")
    detail: str = Field(description="why it was refused, as the sender was answered")


EVENT_OF_TOPIC: dict[Topic, type[Event]] = {
    Topic.PRODUCTION_RAW_GLOBAL: ProductionReading,
    Topic.CONSUMPTION_RAW_DETAILED: DetailedConsumptionReading,
    Topic.CONSUMPTION_CLIENT: ClientConsumption,
    Topic.PRODUCTION_ADAPT: ProductionAdapt,
    Topic.CONSUMPTION_PEAK: ConsumptionPeak,
    Topic.ELECTRICITY_FRAME: ElectricityFrame,
    Topic.ENERGY_OUTPUT_COMMUNITY: EnergyOutputCommunity,
    Topic.PRODUCTION_LIMIT: ProductionLimit,
    Topic.REACH_PRODUCTION_LIMIT: ReachProductionLimit,
    Topic.BATTERY_STATE: BatteryState,
    Topic.CLIENT_NOTIFICATION: ClientNotification,
    Topic.SALE_DATA: SaleData,
    Topic.BATTERY_SUBSCRIPTION: BatterySubscription,
    Topic.ALERT: Alert,
    Topic.READING_REFUSED: ReadingRefused,
}

E = TypeVar("E", bound=Event)


class Message(BaseModel, Generic[E]):
    """One message on a topic: a batch of events of the topic's type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: Topic
    messageId: str
    events: list[E]
