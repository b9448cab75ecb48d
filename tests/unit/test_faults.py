"""The runtime's fault injection (issue 9): seeded decisions, and failures at the k-th write."""

from __future__ import annotations

import threading

import pytest

from localcloud.faults import (
    MAX_WRITE_INDEX,
    FaultInjector,
    Faults,
    InjectedFault,
    InvocationPlan,
    run_together,
)


def decisions(seed: int) -> list[tuple[bool, bool, InvocationPlan]]:
    injector = FaultInjector(Faults(seed=seed, failure_rate=0.5, duplicate_rate=0.5, concurrency_rate=0.5))
    return [(injector.duplicate(), injector.concurrent(), injector.plan()) for _ in range(200)]


def test_the_same_seed_replays_every_decision() -> None:
    assert decisions(7) == decisions(7)
    assert decisions(7) != decisions(8)


def test_a_faulted_invocation_fails_before_its_work_or_at_a_write_within_reach() -> None:
    plans = [plan for _, _, plan in decisions(11)]
    assert any(p.fail_before for p in plans)
    at_write = [p for p in plans if p.fail_at_write]
    assert at_write and all(1 <= p.fail_at_write <= MAX_WRITE_INDEX for p in at_write)
    assert {p.write_happens for p in at_write} == {True, False}


def test_the_kth_write_raises_instead_of_happening_or_after_it() -> None:
    # Given plans failing at the second write, instead of it and after it
    done: list[int] = []
    for happens in (False, True):
        plan = InvocationPlan(fail_at_write=2, write_happens=happens)
        done.clear()
        # When writes are made under the plan
        with pytest.raises(InjectedFault):
            for n in (1, 2, 3):
                plan.on_write("PutItem")
                done.append(n)
                plan.after_write("PutItem")
        # Then the first is done, the second done only when its answer is the one lost, no third
        assert done == ([1, 2] if happens else [1])


def test_a_failure_before_the_work_runs_nothing_and_is_counted() -> None:
    injector = FaultInjector(Faults(seed=1))
    ran: list[bool] = []
    with pytest.raises(InjectedFault):
        injector.run(InvocationPlan(fail_before=True), lambda: ran.append(True))
    assert not ran and injector.counts["invocations failed before their work"] == 1


def test_rates_outside_0_to_1_and_unknown_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="failure_rate"):
        Faults(seed=1, failure_rate=1.5)
    with pytest.raises(ValueError, match="got 'speed=2'"):
        Faults.parse("seed=1,speed=2")
    assert Faults.parse("seed=5, failure=0.2") == Faults(seed=5, failure_rate=0.2)


def test_calls_run_together_on_threads_of_their_own_and_errors_come_back() -> None:
    barrier = threading.Barrier(2, timeout=5)  # both must be running at once to pass it

    def meet() -> str:
        barrier.wait()
        return threading.current_thread().name

    def fail() -> None:
        barrier.wait()
        raise ValueError("boom")

    (name, no_error), (_, error) = run_together([meet, fail])
    assert no_error is None and name != threading.current_thread().name
    assert isinstance(error, ValueError)
