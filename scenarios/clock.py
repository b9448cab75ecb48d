"""Making grid time pass in a scenario: `POST /clock/advance` (staff), then wait until the grid
has settled, i.e. every simulated device the scenario watches has reported up to the new now.

Over HTTP nothing says that every queue is empty, so a scenario advances one tick at a time
where it reads frames (they close FrameDelayTicks late, which leaves the readings of one tick
that many ticks to arrive), and polls for what it expects rather than reading once.
A grid whose own clock ticks (`make run`) only makes time pass faster: every wait reads the
clock again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from scenarios.client import Answer, Grid, ScenarioFailed, Steps

SETTLE_SECONDS = 60.0  # a move's reports may take this long, plus a second per simulated day
POLL_SECONDS = 0.2
PATIENCE_SECONDS = 5.0  # how long the last tick's effects are polled for before a step fails


def parse(instant: str) -> datetime:
    return datetime.fromisoformat(instant.replace("Z", "+00:00"))


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    def __init__(self, grid: Grid, steps: Steps) -> None:
        self.grid = grid
        self.steps = steps
        self.devices: list[str] = []
        self.tick_minutes = 1

    def watch(self, path: str) -> None:
        """A simulated device (`/sim/houses/{id}`, `/sim/producers/{id}`) whose reports a move waits for."""
        self.devices.append(path)

    def now(self) -> datetime:
        answer = self.grid.call("GET", "/clock")
        if answer.status != 200:
            self.steps.check("read the grid clock", answer, "200", lambda a: False)
        self.tick_minutes = int(answer.body["tickMinutes"])
        return parse(answer.body["now"])

    def move(self, *, ticks: int | None = None, until: datetime | None = None) -> Answer:
        """One move of the clock and its settling, not printed: the grid's answer to the move."""
        body = {"ticks": ticks} if ticks is not None else {"until": iso(until or self.now())}
        answer = self.grid.staff("POST", "/clock/advance", body)
        if answer.status != 200:
            return answer
        days = (parse(answer.body["now"]) - parse(answer.body["previous"])).days
        if not self._settle(answer.body["now"], SETTLE_SECONDS + days):
            return Answer(504, {"unsettled": self.devices, "now": answer.body["now"]}, answer.call)
        return answer

    def advance(
        self,
        what: str,
        *,
        ticks: int | None = None,
        until: datetime | None = None,
        tick_by_tick: bool = False,
    ) -> Answer:
        """A printed step: the clock moves, and every watched device reports up to its new now;
        `tick_by_tick`: one move a tick, so that every frame closes after its readings."""
        before = self.now()
        if until is not None and until <= before:
            ticks, until = 1, None  # a grid ticking by itself got there first: a tick still settles
        if tick_by_tick:
            span = (until or before) - before
            count = ticks if ticks is not None else round(span.total_seconds() / 60 / self.tick_minutes)
            answer = self.move(ticks=1)
            for _ in range(max(0, count - 1)):
                if answer.status != 200:
                    break
                answer = self.move(ticks=1)
            answer.call = f"{count} x {answer.call}"
        else:
            answer = self.move(ticks=ticks, until=until)
        return self.steps.check(
            what,
            answer,
            "200, and every simulated device reported up to the new now",
            lambda a: a.status == 200,
        )

    def advance_until(
        self,
        what: str,
        poll: Callable[[], Answer],
        expected: str,
        ok: Callable[[Answer], bool],
        *,
        max_ticks: int,
        every: int = 1,
    ) -> Answer:
        """A printed step: the clock moves `every` ticks at a time, at most `max_ticks`, until
        `poll` answers what is expected (polled after each move)."""
        moved = 0
        while True:
            answer = poll()  # a tick's effects lag FrameDelayTicks behind it: no use waiting for them
            if ok(answer):
                break
            if moved >= max_ticks:
                answer = self._poll(poll, ok)  # the last tick's effects, given a moment to arrive
                break
            move = self.move(ticks=every)
            if move.status != 200:
                answer = move
                break
            moved += every
        answer.call = f"{answer.call} (after {moved} ticks of POST /clock/advance)"
        return self.steps.check(what, answer, expected, ok)

    def _poll(self, poll: Callable[[], Answer], ok: Callable[[Answer], bool]) -> Answer:
        deadline = time.monotonic() + PATIENCE_SECONDS
        answer = poll()
        while not ok(answer) and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            answer = poll()
        return answer

    def _settle(self, now: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        for device in self.devices:
            while True:
                seen = self.grid.staff("GET", device)
                if seen.status == 200 and (seen.body.get("reportedUntil") or "") >= now:
                    break
                if time.monotonic() > deadline:
                    return False
                time.sleep(POLL_SECONDS)
        return True


def next_time_of_day(after: datetime, hour: int, minute: int = 0) -> datetime:
    """The first hour:minute strictly after `after`."""
    candidate = after.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > after else candidate + timedelta(days=1)


def require(condition: bool, what: str) -> None:
    """A precondition of the scenario itself (not a grid's answer)."""
    if not condition:
        print(f"✗ {what}")
        raise ScenarioFailed(what)
