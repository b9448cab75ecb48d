"""Which privacy policies a client had accepted at a grid time (data sold to partners).

A house keeps the history of its accepted policies (`House.policyChanges`), stamped with
the grid time of each change; what it answered at registration counts from its
registration. A record from before the history existed has only its current answer, which
counts from its registration too.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartgrid.gridtime import parse_instant
from smartgrid.models import House, Policy, PolicyChange

# A client who flips its answer again and again keeps its latest changes only: the item
# stays small, and the consent in force now is always among them.
MAX_CHANGES = 100


def history_of(house: House) -> list[PolicyChange]:
    if house.policyChanges:
        return list(house.policyChanges)
    return [PolicyChange(at=house.registeredAt, acceptedPolicies=list(house.acceptedPolicies))]


def accepted_at(house: House, policy: Policy, instant: str) -> bool:
    """Whether the house had accepted `policy` at `instant` (its latest change at or before it)."""
    moment = parse_instant(instant)
    in_force: PolicyChange | None = None
    for change in history_of(house):
        if parse_instant(change.at) <= moment:
            in_force = change
    return in_force is not None and policy in in_force.acceptedPolicies


def with_change(house: House, policies: Sequence[Policy], at: str) -> list[PolicyChange] | None:
    """The history once the house answers `policies` at `at`; None if it accepts the same
    policies as before (in any order): nothing to record."""
    wanted = list(dict.fromkeys(policies))
    if set(wanted) == set(house.acceptedPolicies):
        return None
    return [*history_of(house), PolicyChange(at=at, acceptedPolicies=wanted)][-MAX_CHANGES:]
