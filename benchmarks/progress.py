"""A one-line progress bar on stderr, redrawn in place (`\\r`), at most a few times a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
REDRAW_SECONDS = 0.2


class ProgressBar:
    def __init__(self, label: str, stream: TextIO = sys.stderr) -> None:
        self.label = label
        self.stream = stream
        self.started = time.perf_counter()
        self._drawn = 0.0

    def __call__(self, done: int, total: int, note: str = "") -> None:
        now = time.perf_counter()
        if done < total and now - self._drawn < REDRAW_SECONDS:
            return
        self._drawn = now
        filled = WIDTH * done // max(total, 1)
        bar = "#" * filled + "." * (WIDTH - filled)
        line = f"\r{self.label} [{bar}] {done:,}/{total:,} {now - self.started:6.1f} s {note}"
        self.stream.write(line.ljust(100))
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
