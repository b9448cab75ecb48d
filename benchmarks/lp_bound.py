"""The lowest peak any plan could reach: the same problem as a linear program (SciPy's HiGHS).

    minimise L  subject to  Σ_t x[i,t] = need[i]          (each load gets its energy)
                            base[t] + Σ_i x[i,t] ≤ L        (no slot above the peak)
                            0 ≤ x[i,t] ≤ cap[i,t]           (power and window)

SciPy lives in the benchmark only: the Lambda's optimiser is `smartgrid.flattening`. Past a
few million columns HiGHS takes very long; `cut_bound` then gives the same bound another way.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from smartgrid.flattening import Load, Vector


class TooLong(Exception):
    """HiGHS did not finish within its time limit."""


def lp_peak(base: Vector, loads: list[Load], time_limit: float | None = None) -> float:
    slots = len(base)
    columns = sum(len(load.cap) for load in loads)
    # Columns: every x[i,t] of every window, then L.
    rows_eq = np.repeat(np.arange(len(loads)), [len(load.cap) for load in loads])
    slot_of = np.concatenate([np.arange(load.first, load.end) for load in loads]) if loads else np.zeros(0)
    column = np.arange(columns)
    equal = coo_matrix((np.ones(columns), (rows_eq, column)), shape=(len(loads), columns + 1))
    peak_rows = np.concatenate((slot_of, np.arange(slots)))
    peak_cols = np.concatenate((column, np.full(slots, columns)))
    peak_vals = np.concatenate((np.ones(columns), -np.ones(slots)))
    below = coo_matrix((peak_vals, (peak_rows, peak_cols)), shape=(slots, columns + 1))
    bounds = np.zeros((columns + 1, 2))
    bounds[:columns, 1] = np.concatenate([load.cap for load in loads]) if loads else np.zeros(0)
    bounds[columns] = (-np.inf, np.inf)
    cost = np.zeros(columns + 1)
    cost[columns] = 1.0
    answer = linprog(
        cost,
        A_ub=below.tocsr(),
        b_ub=-base,
        A_eq=equal.tocsr(),
        b_eq=np.array([load.need for load in loads]),
        bounds=bounds,
        method="highs-ipm",  # the dual simplex stalls on these for minutes past 50,000 columns
        options={"time_limit": time_limit} if time_limit else {},
    )
    if answer.status == 1:
        raise TooLong(answer.message)
    if answer.status != 0:
        raise RuntimeError(f"the LP did not solve: {answer.message}")
    return float(answer.fun)


def cut_bound(base: Vector, loads: list[Load], level: Vector) -> float:
    """A lower bound on the same peak by max-flow/min-cut duality, from the level sets of a plan.

    For any set S of slots, load i must put at least forced_i(S) = need_i - (its room outside
    S) into S, and S holds at most Σ_{t∈S} (L - base_t): so L ≥ (Σ_S base + Σ_i forced_i(S)) / |S|.
    The LP's optimum is the largest such value over all S (min-cut); here S runs over the sets
    of the k highest slots of `level`, which contain that cut when `level` is optimal. It is
    always a valid bound, whatever `level` is, and costs a sort instead of an LP.
    """
    slots = len(base)
    order = np.argsort(-level[:slots], kind="stable")
    rank = np.empty(slots, dtype=np.int64)
    rank[order] = np.arange(slots)
    owner = np.repeat(np.arange(len(loads)), [len(load.cap) for load in loads])
    ranks = np.concatenate([rank[load.first : load.end] for load in loads])
    caps = np.concatenate([load.cap for load in loads])
    slack = np.array([float(load.cap.sum()) - load.need for load in loads])
    sorted_at = np.lexsort((ranks, owner))
    owner, ranks, caps = owner[sorted_at], ranks[sorted_at], caps[sorted_at]
    running = np.cumsum(caps)
    group_start = np.searchsorted(owner, np.arange(len(loads)))
    before_group = np.concatenate(([0.0], running))[group_start][owner]
    inside = running - before_group  # each load's room in its slots ranked so far
    forced = np.maximum(0.0, inside - slack[owner])
    previous = np.concatenate(([0.0], forced[:-1]))
    previous[group_start[group_start < len(previous)]] = 0.0
    growth = np.zeros(slots)
    np.add.at(growth, ranks, forced - previous)
    k = np.arange(1, slots + 1)
    bounds = (np.cumsum(base[order]) + np.cumsum(growth)) / k
    return float(np.max(bounds))
