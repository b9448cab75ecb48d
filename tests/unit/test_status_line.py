"""The runtime's status line names the communities that peaked since the last line."""

from __future__ import annotations

from localcloud.server import describe_peaks


def test_each_community_is_shown_once_at_its_highest() -> None:
    # Given three peaks of two communities since the last line
    peaks = [
        {"communityId": "c-b", "frameStart": "t1", "valueW": 10_400.0, "thresholdW": 10_000.0},
        {"communityId": "c-a", "frameStart": "t1", "valueW": 6_000.0, "thresholdW": 5_000.0},
        {"communityId": "c-b", "frameStart": "t2", "valueW": 12_500.0, "thresholdW": 10_000.0},
    ]
    # Then each community shows once, at its highest, against its threshold
    assert describe_peaks(peaks) == "peaks: c-a 6.0 kW > 5.0 kW, c-b 12.5 kW > 10.0 kW"
