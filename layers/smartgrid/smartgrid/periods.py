"""The days a period route reads: `?date=` (one day) or `?from=&to=` (a period, both ends in).

A bad combination is a 422 naming the query parameter at fault.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from smartgrid.errors import Unprocessable
from smartgrid.gridtime import days_between

MAX_DAYS = 366

Day = Annotated[dt.date | None, Query(description="one day, YYYY-MM-DD")]
PeriodStart = Annotated[dt.date | None, Query(alias="from", description="first day of a period, YYYY-MM-DD")]
PeriodEnd = Annotated[dt.date | None, Query(alias="to", description="last day of a period, YYYY-MM-DD")]


def period_days(start: dt.date | None, end: dt.date | None) -> list[dt.date]:
    """Every day from `start` to `end`, both given, at most MAX_DAYS."""
    if start is None or end is None:
        raise Unprocessable("give both from and to", field="from" if start is None else "to")
    if end < start:
        raise Unprocessable("to is before from", field="to")
    if (end - start).days >= MAX_DAYS:
        raise Unprocessable(f"a period is at most {MAX_DAYS} days", field="to")
    return days_between(start, end)


def date_or_period(date: dt.date | None, start: dt.date | None, end: dt.date | None) -> list[dt.date]:
    """One day for `?date=`, else the days of `?from=&to=`."""
    if date is not None and (start or end):
        raise Unprocessable("give either date, or from and to", field="date")
    if date is not None:
        return [date]
    if start is None and end is None:
        raise Unprocessable("give date, or both from and to", field="from")
    return period_days(start, end)


def iso_days(days: list[dt.date]) -> list[str]:
    return [d.isoformat() for d in days]
