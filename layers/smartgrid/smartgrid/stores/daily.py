"""Daily tables with exact rollups (see `tally`): what the daily stores share.

A daily table holds an item per (owner, date). A source's own day (a house, a producer) is
the marker of its readings: a slot per reading, and `mwh`, their sum. Beside it, rollup items
hold only `mwh`: a community's day (`community#<id>`), the grid's (`grid`, or `grid#<kind>`).
A reading adds to all of them in the transaction that marks its slot, so every total is
exact and is read in one get, however many readings it sums.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from smartgrid.stores.tally import ItemKey, read_totals

MWH = "mwh"
GRID = "grid"
UNASSIGNED = "unassigned"  # the community of a reading whose house had none yet

# house ids -> each known house's community (None while it registers); see ClientsRepository.communities
CommunityLookup = Callable[[Iterable[str]], Mapping[str, str | None]]


def community_owner(community_id: str) -> str:
    return f"community#{community_id}"


def resolve_communities(
    readings: Iterable[tuple[str | None, str | None]], lookup: CommunityLookup | None
) -> Callable[[str | None, str | None], str]:
    """For (house id, community carried by the reading) pairs: a function giving the
    community to count a reading in. The reading's own community when it carried one, else
    the client database's answer (one batch read for the whole batch), else UNASSIGNED."""
    missing = {house for house, carried in readings if house is not None and carried is None}
    found = lookup(sorted(missing)) if lookup and missing else {}

    def community(house_id: str | None, carried: str | None) -> str:
        if carried:
            return carried
        return (found.get(house_id) if house_id else None) or UNASSIGNED

    return community


class DayItems:
    """The (owner, date) items of one daily table."""

    def __init__(self, table_name: str, owner_attribute: str) -> None:
        self.table_name = table_name
        self.owner_attribute = owner_attribute

    def key(self, owner: str, date: str) -> ItemKey:
        return ItemKey.of(self.table_name, **{self.owner_attribute: owner, "date": date})

    def totals(self, owner: str, dates: Sequence[str]) -> dict[str, int]:
        """`mwh` of an owner's days, in order (0 for a day with nothing)."""
        return {d: mwh for (_, d), mwh in self.totals_of([owner], dates).items()}

    def totals_of(self, owners: Collection[str], dates: Sequence[str]) -> dict[tuple[str, str], int]:
        """`mwh` of each owner's days, keyed (owner, date)."""
        keys = {(o, d): self.key(o, d) for o in owners for d in dates}
        found = read_totals(keys.values(), [MWH])
        return {pair: found[key][MWH] for pair, key in keys.items()}
