"""Production follows consumption (production-adapter): a frame's margin shared among the
utility producers as the seed did, within their limits.

An increase goes first to the producer producing least, up to its limit, then to the next;
a decrease starts with the producer producing most, down to nothing, then the next. When
every producer is at its limit and an increase is not covered, the shortfall goes out on
`reach.production.limit`.

A margin is judged against the production of its own frame's tick: the new setpoints are
what each producer produced then, plus its share. Frames close `k` ticks late, so the
frames closed before a change takes effect all ask for the same margin; against their own
tick's production they all give the same setpoints, instead of adding the margin `k` times.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from smartgrid.bus import Bus
from smartgrid.errors import Conflict
from smartgrid.events import ProductionAdapt, ProductionLimit, ProductionReading, ReachProductionLimit, Topic
from smartgrid.frames import portions, watts
from smartgrid.stores.adapter import AdapterStore
from smartgrid.stores.outbox import Record, publish_once
from smartgrid.stores.setpoints import ProducerControl

DEFAULT_LIMIT_W = 10_000.0
W_QUANTUM = Decimal("0.001")
ATTEMPTS = 5
RECENT_TICKS = 60  # of readings over many ticks (after a jump), the last ticks whose production is kept

LimitLookup = Callable[[list[str]], Mapping[str, float | None]]


def _w(value: float) -> float:
    return float(Decimal(str(value)).quantize(W_QUANTUM, rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class Producing:
    producerId: str
    actualW: float
    limitW: float


@dataclass(frozen=True)
class Shares:
    setpoints: dict[str, float]
    shortfallW: float = 0.0  # an increase the limits could not cover
    surplusW: float = 0.0  # a decrease beyond stopping every producer


def share(producers: Iterable[Producing], margin_w: float) -> Shares:
    """Each producer's new setpoint for a margin (W; + produce more, - less)."""
    producers = list(producers)
    base = {p.producerId: min(max(p.actualW, 0.0), p.limitW) for p in producers}
    # A producer above its limit comes down to it; the others make up for it.
    remaining = margin_w + sum(max(p.actualW, 0.0) - base[p.producerId] for p in producers)
    targets = dict(base)
    if remaining > 0:
        for p in sorted(producers, key=lambda p: (base[p.producerId], p.producerId)):
            give = min(p.limitW - base[p.producerId], remaining)
            targets[p.producerId] += give
            remaining -= give
        return Shares({k: _w(v) for k, v in targets.items()}, shortfallW=_w(max(remaining, 0.0)))
    remaining = -remaining
    for p in sorted(producers, key=lambda p: (-base[p.producerId], p.producerId)):
        take = min(base[p.producerId], remaining)
        targets[p.producerId] -= take
        remaining -= take
    return Shares({k: _w(v) for k, v in targets.items()}, surplusW=_w(max(remaining, 0.0)))


def _producing(pid: str, control: ProducerControl, actual: Mapping[str, float]) -> Producing:
    """What a producer produced in the frame's tick: its reading of that tick, else its last
    one, else its setpoint, else nothing."""
    if pid in actual:
        produced = actual[pid]
    elif control.actualW is not None:
        produced = control.actualW
    else:
        produced = control.setpointW or 0.0
    return Producing(pid, produced, control.limitW if control.limitW is not None else DEFAULT_LIMIT_W)


class ProductionAdapter:
    def __init__(self, store: AdapterStore, bus: Bus, limits_of: LimitLookup, tick_minutes: int) -> None:
        self.store = store
        self.bus = bus
        self.limits_of = limits_of
        self.tick_minutes = tick_minutes

    def on_limits(self, events: Iterable[ProductionLimit]) -> None:
        for event in events:
            self.store.record_limit(event.producerId, event.limitW, event.timestamp)

    def on_production(self, readings: Iterable[ProductionReading]) -> None:
        """Utility producers' production, tick by tick (house production is not ours to steer)."""
        utility = [r for r in readings if r.kind == "utility"]
        if not utility:
            return
        controls = self.store.controls()
        unknown = sorted({r.producerId for r in utility if r.producerId not in controls})
        limits = self.limits_of(unknown) if unknown else {}
        by_producer: dict[str, dict[str, float]] = {}
        for reading in utility:
            ticks = by_producer.setdefault(reading.producerId, {})
            split = portions(reading.timestamp, reading.durationMinutes, self.tick_minutes, reading.mwh)
            for tick, _ in split[-RECENT_TICKS:]:
                ticks[tick] = watts(reading.mwh, reading.durationMinutes)
        for pid, ticks in by_producer.items():
            limit = limits.get(pid)
            recent = dict(sorted(ticks.items())[-RECENT_TICKS:])
            self.store.record_production(pid, recent, limit if limit is not None else DEFAULT_LIMIT_W)

    def on_adapt(self, event: ProductionAdapt, lease_ms: int) -> bool:
        """Adapts the setpoints once per frame; True if this call published a shortfall."""
        record = self._adapt(event)
        return publish_once(
            self.store.outbox, self.store.adapt_key(event.frameStart), record, self._publish_limit, lease_ms
        )

    def _publish_limit(self, payload: str) -> None:
        self.bus.publish(Topic.REACH_PRODUCTION_LIMIT, [ReachProductionLimit.model_validate_json(payload)])

    def _adapt(self, event: ProductionAdapt) -> Record:
        frame = event.frameStart
        for _ in range(ATTEMPTS):
            record = self.store.adaptation(frame)
            if record is not None:
                return record
            last = self.store.last_frame()
            if last is not None and last >= frame:
                return self.store.record_stale(frame, {"marginW": event.marginW, "lastFrame": last})
            controls = self.store.controls()
            actual = self.store.actual_at(frame)
            producing = {pid: _producing(pid, c, actual) for pid, c in controls.items()}
            shares = share(producing.values(), event.marginW)
            changes = {
                pid: w
                for pid, w in shares.setpoints.items()
                if w
                != (
                    controls[pid].setpointW if controls[pid].setpointW is not None else producing[pid].actualW
                )
            }
            payload = (
                ReachProductionLimit(frameStart=frame, shortfallW=shares.shortfallW).model_dump_json()
                if shares.shortfallW > 0
                else None
            )
            attributes = {
                "marginW": event.marginW,
                "shortfallW": shares.shortfallW,
                "surplusW": shares.surplusW,
            }
            try:
                return self.store.apply(frame, changes, payload, attributes)
            except Conflict:
                continue  # adapted meanwhile by another copy, or a newer frame was: look again
        raise Conflict(f"frame {frame}: the adaptation kept conflicting; the message will be retried")
