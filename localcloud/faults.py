"""Fault injection for the local runtime (issue 9): what SQS and Lambda do to us on a bad day.

Off unless a `Faults` is given to `LocalCloud` (tests, `make chaos`, `python -m localcloud run
--chaos`). For each SQS-triggered invocation, with a seeded generator so that a failing run can
be replayed:

- with probability `failure_rate` the invocation is faulted: half the time it fails before its
  work, half the time at its k-th write call (k in 1..MAX_WRITE_INDEX), which either happens
  and then raises (the answer is lost) or raises instead of happening; an invocation doing fewer
  than k writes runs to its end;
- with probability `duplicate_rate` a batch is delivered a second time (as SQS may);
- with probability `concurrency_rate` a poll receives two batches and runs two copies of the
  function at once, on two threads (with a single batch, or a duplicated one, the copies
  share it, as when a message becomes visible again while its first consumer still runs).

Only SQS-fed invocations are faulted: those are the ones AWS retries until maxReceiveCount
and then dead-letters. API invocations answer a caller who sees the error; the schedule and
EventBridge rules are asynchronous invocations retried twice then dropped (no dead-letter
queue in the template), so faults there would lose events by design, not find bugs.

Two copies really run together: they hold the grid's lock as a pair (no other function runs,
their environment is the function's), and inside, each AWS call of theirs takes `_CALL_LOCK`
(in-process moto is not thread-safe), so they interleave call by call. The seed replays every
decision, not the threads' interleaving.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient

MAX_WRITE_INDEX = 3
API_CALL = "_make_api_call"  # the botocore method every client call goes through
WRITE_OPERATIONS = frozenset(
    {
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "Publish",
        "PublishBatch",
        "SendMessage",
        "SendMessageBatch",
        "PutEvents",
        "StartExecution",
    }
)


class InjectedFault(RuntimeError):
    """A failure the runtime made up: the handler is not at fault."""


@dataclass(frozen=True)
class Faults:
    """What to inject; rates are probabilities in [0, 1]."""

    seed: int
    failure_rate: float = 0.1
    duplicate_rate: float = 0.1
    concurrency_rate: float = 0.1

    def __post_init__(self) -> None:
        for name in ("failure_rate", "duplicate_rate", "concurrency_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")

    @classmethod
    def parse(cls, text: str) -> Faults:
        """`seed=42,failure=0.1,duplicates=0.1,concurrency=0.1` (any part may be left out; no
        seed: a fresh one, printed by `describe`)."""
        names = {"seed": "seed", "failure": "failure_rate", "duplicates": "duplicate_rate"}
        names["concurrency"] = "concurrency_rate"
        values: dict[str, Any] = {"seed": random.SystemRandom().randrange(1, 10**6)}
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            if not sep or name.strip() not in names:
                raise ValueError(f"chaos: expected {', '.join(f'{n}=…' for n in names)}; got {part!r}")
            field = names[name.strip()]
            values[field] = int(value) if field == "seed" else float(value)
        return cls(**values)

    def describe(self) -> str:
        return (
            f"chaos: seed {self.seed}, failure {self.failure_rate:g}, duplicates {self.duplicate_rate:g},"
            f" concurrency {self.concurrency_rate:g} (replay with the same seed)"
        )


@dataclass
class InvocationPlan:
    """How one invocation will fail, decided before it runs."""

    fail_before: bool = False
    fail_at_write: int = 0  # 0: at no write
    write_happens: bool = False  # the k-th write is done, then the call raises
    writes: int = 0

    def on_write(self, operation: str) -> None:
        """Called before a write call: raises if this is the write to fail instead of doing it."""
        self.writes += 1
        if self.writes == self.fail_at_write and not self.write_happens:
            raise InjectedFault(f"injected: write {self.writes} ({operation}) not done")

    def after_write(self, operation: str) -> None:
        if self.writes == self.fail_at_write and self.write_happens:
            raise InjectedFault(f"injected: write {self.writes} ({operation}) done, its answer lost")


_local = threading.local()  # the plan of the invocation running on this thread, if any
_CALL_LOCK = threading.Lock()  # one AWS call at a time from copies running at once


def _current_plan() -> InvocationPlan | None:
    return getattr(_local, "plan", None)


def _in_concurrent_copy() -> bool:
    return bool(getattr(_local, "concurrent", False))


class FaultInjector:
    """Draws the faults of a run and counts what it injected."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._rng_lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self._saved_call: Callable[..., Any] | None = None

    # Decisions (taken by the polling thread, in poll order: the seed replays them) ------------
    def _draw(self, rate: float) -> bool:
        with self._rng_lock:
            return rate > 0 and self._rng.random() < rate

    def duplicate(self) -> bool:
        return self._draw(self.faults.duplicate_rate)

    def concurrent(self) -> bool:
        return self._draw(self.faults.concurrency_rate)

    def plan(self) -> InvocationPlan:
        if not self._draw(self.faults.failure_rate):
            return InvocationPlan()
        with self._rng_lock:
            if self._rng.random() < 0.5:
                return InvocationPlan(fail_before=True)
            return InvocationPlan(
                fail_at_write=self._rng.randint(1, MAX_WRITE_INDEX), write_happens=self._rng.random() < 0.5
            )

    # Running ------------------------------------------------------------------------------
    def run(self, plan: InvocationPlan, invoke: Callable[[], Any], *, concurrent: bool = False) -> Any:
        """Runs one invocation under its plan (on the calling thread), counting what fired."""
        _local.plan, _local.concurrent = plan, concurrent
        try:
            if plan.fail_before:
                self.count("invocations failed before their work")
                raise InjectedFault("injected: the invocation failed before its work")
            return invoke()
        finally:
            _local.plan, _local.concurrent = None, False
            if plan.fail_at_write and plan.writes >= plan.fail_at_write:
                self.count("invocations failed part-way through their writes")

    def count(self, what: str, n: int = 1) -> None:
        with self._rng_lock:
            self.counts[what] += n

    # The AWS call hook --------------------------------------------------------------------
    def install(self) -> None:
        """Routes every boto3 call through `_call`; `remove()` restores botocore."""
        if self._saved_call is not None:
            return
        original: Callable[..., Any] = getattr(BaseClient, API_CALL)
        self._saved_call = original

        def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            plan = _current_plan()
            write = plan is not None and operation in WRITE_OPERATIONS
            if plan is not None and write:
                plan.on_write(operation)
            if _in_concurrent_copy():
                with _CALL_LOCK:
                    result = original(client, operation, params)
            else:
                result = original(client, operation, params)
            if plan is not None and write:
                plan.after_write(operation)
            return result

        setattr(BaseClient, API_CALL, call)

    def remove(self) -> None:
        if self._saved_call is not None:
            setattr(BaseClient, API_CALL, self._saved_call)
            self._saved_call = None

    def summary(self) -> str:
        counted = ", ".join(f"{what} {n}" for what, n in sorted(self.counts.items())) or "nothing injected"
        return f"{self.faults.describe()}: {counted}"


def run_together(calls: list[Callable[[], Any]]) -> list[tuple[Any, BaseException | None]]:
    """Runs the calls on threads of their own at once; each call's result or exception."""
    outcomes: list[tuple[Any, BaseException | None]] = [(None, None)] * len(calls)

    def worker(index: int) -> None:
        try:
            outcomes[index] = (calls[index](), None)
        except BaseException as error:  # handed back to the caller, never lost on a thread
            outcomes[index] = (None, error)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
