"""A long jump's backlog, compacted as a meter head-end does: one reading per source and day.

After a long jump a simulator computes its readings hour by hour (see `timeline`: a profile
is evaluated once an hour). Posted as they are, three months of 30 houses are some 70,000
readings, and every store writes each of them. So the head-end (`fleet.Outbox`) posts a
source's readings of one UTC day as one reading over the same minutes (a reading may cover up
to a day, never across midnight: see `smartgrid.readings`), each object's energy summed
exactly in mWh, except the readings that start in the last KEEP_DETAIL_MINUTES (a day) of
what the source reports, which are posted as they are.

Why this is right for staff who jump three months to see the bills:
- every daily total, and so every bill, is the same to the mWh: the energy of a day is still
  the sum of its hours, each computed with its own hour's profile;
- what is given up is the hour within the days before the last: consumption-detailed keeps one
  slot per object and day for them (`00:00`, the day's energy), and the frames' aggregates
  spread a day's energy evenly over its ticks. Those frames are never closed (a jump closes
  only its last 60 frames: `smartgrid.frames.frames_to_close`) and no one reads them;
- the last day keeps its hours: the frames the jump closes, the production adapter's view of
  them, and the house's "today" read hour by hour as they did.

A house's battery states (`battery`: what it holds at the end of each interval) are kept at
each midnight before the last day, and all of them in the last day: a day's change of the
battery goes with the day's merged readings, and each kept state is still within the
battery's rates of the one before (the bound of a sum of intervals is at least the sum of
their bounds).

A move of up to an hour is reported tick by tick (`timeline.FINE_TICKS`): all of it lies in
the last day, so live ticks are never compacted. Compaction depends only on the readings of
one report, so a report run again (a retry) posts the very same readings: duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from smartgrid.gridtime import iso, parse_instant
from smartgrid.units import mwh_to_wh, wh_to_mwh

Kind = Literal["consumption", "production", "battery"]
Reading = tuple[Kind, Mapping[str, Any]]

KEEP_DETAIL_MINUTES = 24 * 60


@dataclass(frozen=True)
class _Timed:
    """A body and its interval, parsed once."""

    start: datetime
    end: datetime
    body: Mapping[str, Any]

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> _Timed:
        start = parse_instant(str(body["timestamp"]))
        return cls(start, start + timedelta(minutes=int(body.get("durationMinutes", 1))), body)


def _merged(run: list[_Timed], kind: Kind) -> Mapping[str, Any]:
    if len(run) == 1:
        return run[0].body
    merged = dict(run[0].body)
    merged["timestamp"] = iso(run[0].start)
    merged["durationMinutes"] = int((run[-1].end - run[0].start).total_seconds() // 60)
    if kind == "consumption":
        objects: dict[str, int] = {}
        for timed in run:
            for name, wh in timed.body["objects"].items():
                objects[name] = objects.get(name, 0) + wh_to_mwh(wh)
        merged["objects"] = {name: mwh_to_wh(mwh) for name, mwh in objects.items()}
    else:
        merged["wh"] = mwh_to_wh(sum(wh_to_mwh(timed.body["wh"]) for timed in run))
    return merged


def _merged_per_day(bodies: list[_Timed], kind: Kind) -> list[Mapping[str, Any]]:
    """Runs of contiguous readings within one UTC day, each merged into one."""
    merged: list[Mapping[str, Any]] = []
    run: list[_Timed] = []
    for timed in bodies:
        if run and (run[-1].end != timed.start or run[0].start.date() != timed.start.date()):
            merged.append(_merged(run, kind))
            run = []
        run.append(timed)
    if run:
        merged.append(_merged(run, kind))
    return merged


def compact(readings: Sequence[Reading]) -> list[Reading]:
    """One source's readings of a report, each kind in time order, with those that start
    before its last day merged per UTC day (consumption first, then production). Readings that
    all lie in the last day come back as they are."""
    if not readings:
        return []
    timed = [(kind, _Timed.of(body)) for kind, body in readings if kind != "battery"]
    states = [(parse_instant(str(body["timestamp"])), body) for kind, body in readings if kind == "battery"]
    ends = [t.end for _, t in timed] + [at for at, _ in states]
    keep_from = max(ends) - timedelta(minutes=KEEP_DETAIL_MINUTES)
    if all(t.start >= keep_from for _, t in timed) and all(at >= keep_from for at, _ in states):
        return list(readings)
    compacted: list[Reading] = []
    kinds: tuple[Kind, ...] = ("consumption", "production")
    for kind in kinds:
        older = [t for k, t in timed if k == kind and t.start < keep_from]
        recent = [t.body for k, t in timed if k == kind and t.start >= keep_from]
        compacted.extend((kind, body) for body in _merged_per_day(older, kind))
        compacted.extend((kind, body) for body in recent)
    compacted.extend(("battery", body) for at, body in states if at >= keep_from or _is_midnight(at))
    return compacted


def _is_midnight(moment: datetime) -> bool:
    return moment.hour == 0 and moment.minute == 0
