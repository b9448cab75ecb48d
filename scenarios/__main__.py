"""`make scenarios`: plays every scenario, one after the other, and exits non-zero if any failed.

Without `--endpoint` it starts a fresh local grid as `make run` does (`python -m localcloud
run`, on free ports, no demo fleet, the clock paused so that only the scenarios move it), and
stops it at the end; its log is kept in .run/scenarios-grid.log. With `--endpoint URL` (and
`--staff-token`, or SMARTGRID_ENDPOINT and SMARTGRID_STAFF_TOKEN) it plays them against a grid
already running: the local one, LocalStack, or AWS.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from scenarios import backbone, scenario1, scenario2, scenario3, scenario4, scenario5, scenario6
from scenarios.client import Grid, ScenarioFailed, Steps

SCENARIOS: list[ModuleType] = [backbone, scenario1, scenario2, scenario3, scenario4, scenario5, scenario6]
ROOT = Path(__file__).resolve().parent.parent
GRID_LOG = ROOT / ".run" / "scenarios-grid.log"
START_TIMEOUT = 180.0
STOP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalGrid:
    """`python -m localcloud run` in a process of its own, until `stop()`."""

    def __init__(self, parameter_overrides: list[str] | None = None) -> None:
        self.parameter_overrides = parameter_overrides or []
        self.token = secrets.token_urlsafe(24)
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LocalGrid:
        GRID_LOG.parent.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "localcloud", "run", "--houses", "0", "--tick-seconds", "0"]
        command += ["--port", str(self.port), "--aws-port", str(free_port())]
        if self.parameter_overrides:
            command += ["--parameter-overrides", *self.parameter_overrides]
        env = dict(os.environ, SMARTGRID_STAFF_TOKEN=self.token)
        with GRID_LOG.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the local grid stopped at start (see {GRID_LOG})")
            if self._healthy():
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the local grid did not answer within {START_TIMEOUT:.0f} s (see {GRID_LOG})")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/health", timeout=2) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # it stops its threads and moto cleanly
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def play_one(module: ModuleType, grid: Grid) -> tuple[bool, float]:
    """Plays one scenario; whether it passed, and how long it took."""
    started = time.monotonic()
    steps = Steps(module.TITLE)
    play: Callable[[Grid, Steps], None] = module.play
    try:
        play(grid, steps)
    except ScenarioFailed:
        passed = False
    except Exception:  # an answer not shaped as expected, the grid gone: a failure too
        traceback.print_exc()
        print(f"✗ {module.TITLE}: stopped by an error")
        passed = False
    else:
        passed = True
        print(f"== {steps.count} steps passed")
    return passed, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenarios", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("SMARTGRID_ENDPOINT"),
        help="a running grid's API URL (default: start a fresh local grid)",
    )
    parser.add_argument("--staff-token", default=os.environ.get("SMARTGRID_STAFF_TOKEN", ""))
    parser.add_argument(
        "--parameter-overrides",
        nargs="*",
        default=os.environ.get("PARAMETER_OVERRIDES", "").split(),
        metavar="NAME=VALUE",
        help="the local grid's template parameters, e.g. ClockStart=2027-06-21T23:50:00Z",
    )
    parser.add_argument("--only", nargs="*", metavar="NAME", help="only these (e.g. scenario1 backbone)")
    args = parser.parse_args(argv)
    chosen = [m for m in SCENARIOS if not args.only or m.__name__.split(".")[-1] in args.only]
    started = time.monotonic()
    local: LocalGrid | None = None
    if args.endpoint:
        if not args.staff_token:
            print("a staff token is needed: --staff-token or SMARTGRID_STAFF_TOKEN", file=sys.stderr)
            return 2
        if args.parameter_overrides:
            print("--parameter-overrides apply to the local grid only, not to --endpoint", file=sys.stderr)
            return 2
        grid = Grid(args.endpoint, args.staff_token)
    else:
        print("starting a local grid (python -m localcloud run --houses 0 --tick-seconds 0)...", flush=True)
        local = LocalGrid(args.parameter_overrides).start()
        grid = Grid(local.endpoint, local.token)
        print(f"local grid at {local.endpoint} ready in {time.monotonic() - started:.1f} s", flush=True)
    results: list[tuple[str, bool, float]] = []
    try:
        for module in chosen:
            passed, seconds = play_one(module, grid)
            results.append((module.TITLE, passed, seconds))
            print(flush=True)
    finally:
        if local is not None:
            local.stop()
    print("== scenarios")
    for title, passed, seconds in results:
        print(f"{'✓' if passed else '✗'} {title} ({seconds:.0f} s)")
    failed = sum(1 for _, passed, _ in results if not passed)
    print(f"{len(results) - failed} passed, {failed} failed, in {time.monotonic() - started:.0f} s")
    if failed and local is not None:
        print(f"the local grid's log: {GRID_LOG}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
