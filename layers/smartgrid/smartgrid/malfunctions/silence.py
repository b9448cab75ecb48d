"""Silence: a house that has reported before and sends no reading for N ticks; a community
most of whose houses are silent.

The detector keeps each house's `coveredUntil`, the end of the latest reading it sent (a
consumption, a production, a battery state, a refused one too: a meter that sends is not
silent). Each clock move judges every house against a cutoff: silent when nothing it sent
reaches the end of the move N moves before this one.

Why moves and not minutes: the readings of a move are posted after it (a simulator or a
head-end reports what the move covered), so the move being judged has its own readings in
flight while the N moves before it had theirs due. With the schedule's moves of one tick the
cutoff is now - N ticks, and a house that went quiet at T (its reading of T never came,
due with the move to T + 1) is alerted on the move to T + N + 1: within N + 1 ticks. A
staff fast-forward of three months is one move: its readings (hourly, compacted per day)
may take longer than a tick to come, and the cutoff reaches the jump's end only N moves
later; nothing of the jumped span is due before then.

The ends of the latest MOVES_KEPT moves are remembered (each event names its previous end
too, so one lost event loses nothing); when fewer than N are known, moves of one tick are
assumed before them.

A detector behind its own input is not a silent grid. After a long jump, or under a burst,
the readings that cover the cutoff may still wait in the detector's queue while the clock
moves on: judged against the cutoff, every house would look silent. So the detector keeps
how far it has heard any house (`heardUntil`, the latest end of any reading it judged), and
while readings wait in its queue it judges only up to that point (`judged_cutoff`): a
house is silent when others were heard past it, not because the detector is late. With
nothing waiting, the full cutoff holds (a whole grid falling silent is alerted too).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from smartgrid.events import AlertDetail
from smartgrid.gridtime import iso, parse_instant
from smartgrid.malfunctions.episodes import Fault, Observation
from smartgrid.malfunctions.kinds import AlertType

MOVES_KEPT = 64
MIN_COMMUNITY_HOUSES = 2  # one silent house is the house's alert, not its community's


def remembered(ends: Iterable[str], previous: str, now: str) -> list[str]:
    """The move ends known after a move, oldest first, at most MOVES_KEPT."""
    return sorted({*ends, previous, now})[-MOVES_KEPT:]


def cutoff(ends: Iterable[str], previous: str, silence_ticks: int, tick_minutes: int) -> str:
    """What every house must have covered by the move that starts at `previous`: the end of
    the move `silence_ticks` moves before it."""
    earlier = sorted({e for e in ends if e <= previous} | {previous})
    if len(earlier) >= silence_ticks:
        return earlier[-silence_ticks]
    missing = silence_ticks - len(earlier)
    return iso(parse_instant(earlier[0]) - timedelta(minutes=missing * tick_minutes))


def judged_cutoff(cut: str, heard_until: str | None, readings_waiting: bool) -> str:
    """The cutoff a move judges by: the move's own, or, while readings wait in the detector's
    queue, no later than the latest end heard from any house."""
    if readings_waiting and heard_until is not None and heard_until < cut:
        return heard_until
    return cut


def house_silence(covered_until: str, cut: str, now: str, tick_minutes: int) -> Observation:
    """Whether a house is silent on the move to `now`: silent since the end of its latest reading."""
    if covered_until >= cut:
        return Observation(AlertType.HOUSE_SILENT, now)
    quiet = parse_instant(now) - parse_instant(covered_until)
    ticks = int(quiet / timedelta(minutes=tick_minutes))
    details: dict[str, AlertDetail] = {"lastReadingEnd": covered_until, "silentTicks": ticks}
    return Observation(AlertType.HOUSE_SILENT, now, Fault(details, since=covered_until))


def community_silence(silent: int, houses: int, now: str) -> Observation:
    """More than half of a community's houses (of at least MIN_COMMUNITY_HOUSES that have
    reported) are silent."""
    if houses < MIN_COMMUNITY_HOUSES or 2 * silent <= houses:
        return Observation(AlertType.COMMUNITY_SILENT, now)
    return Observation(AlertType.COMMUNITY_SILENT, now, Fault({"silentHouses": silent, "houses": houses}))
