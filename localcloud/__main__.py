"""`python -m localcloud run` (what `make run` calls) and `python -m localcloud openapi`."""

from __future__ import annotations

import argparse
import importlib
import os
import secrets
import signal
import sys
import threading
from types import FrameType
from typing import Any


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (never) or more")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (none) or more")
    return value


def _faults(text: str) -> Any:
    from localcloud.faults import Faults

    try:
        return Faults.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


DEFAULT_HOUSES = 30


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description="Smartrix Grid on local moto.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve the grid until Ctrl-C (API :3000, AWS endpoint :4566)")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=3000, help="API port (default 3000, as sam local start-api)")
    run.add_argument("--aws-port", type=int, default=4566, help="AWS endpoint port (default 4566)")
    run.add_argument(
        "--tick-seconds",
        type=_seconds,
        default=os.environ.get("TICK_SECONDS", "1"),
        help="real seconds per tick; 0: only POST /clock/advance moves the clock (default $TICK_SECONDS, 1)",
    )
    run.add_argument(
        "--houses",
        type=_count,
        default=os.environ.get("HOUSES") or str(DEFAULT_HOUSES),
        help=f"simulated houses of the demo fleet, with 2 producers; 0: none (default $HOUSES, {DEFAULT_HOUSES})",
    )
    run.add_argument(
        "--chaos",
        type=_faults,
        default=os.environ.get("SMARTGRID_CHAOS") or None,
        metavar="seed=N,failure=P,duplicates=Q,concurrency=C",
        help="inject faults into SQS-fed invocations (see localcloud.faults); off by default "
        "(default $SMARTGRID_CHAOS; rates 0.1 each when left out)",
    )
    run.add_argument(
        "--parameter-overrides",
        nargs="*",
        default=os.environ.get("PARAMETER_OVERRIDES", "").split(),
        metavar="NAME=VALUE",
        help="template parameters, as sam deploy takes them, e.g. ClockStart=2027-06-21T04:00:00Z "
        "PeakThresholdW=8000 (default $PARAMETER_OVERRIDES)",
    )
    commands.add_parser(
        "openapi", help="the merged OpenAPI document (see localcloud.openapi)", add_help=False
    )
    return parser


def run(args: argparse.Namespace) -> int:
    # Imported here so that `openapi` and `--help` do not pay for moto and boto3.
    from localcloud import LocalCloud
    from localcloud.cloud import ROOT
    from localcloud.demo import DemoFleet
    from localcloud.overrides import BadOverride, parse_overrides
    from localcloud.server import GridServer, banner
    from localcloud.template import load_template

    try:
        declared = load_template(ROOT / "template.yaml").get("Parameters", {})
        overrides = parse_overrides(args.parameter_overrides, declared)
    except BadOverride as error:
        print(f"error: --parameter-overrides {error}", file=sys.stderr)
        return 2
    token = os.environ.get("SMARTGRID_STAFF_TOKEN") or secrets.token_urlsafe(24)
    cloud = LocalCloud(deterministic=False, staff_token=token, faults=args.chaos, parameters=overrides)
    if overrides:
        print("parameters: " + " ".join(f"{k}={v}" for k, v in overrides.items()), flush=True)
    if args.chaos is not None:
        print(args.chaos.describe(), flush=True)
    server = GridServer(
        cloud, host=args.host, port=args.port, aws_port=args.aws_port, tick_seconds=args.tick_seconds
    )
    print("provisioning template.yaml in moto...", flush=True)
    try:
        server.start()
    except OSError as error:
        print(
            f"error: cannot listen on {args.host} ports {args.port} and {args.aws_port}: {error}",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        server.stop()
        return 0
    print(banner(server, token_generated="SMARTGRID_STAFF_TOKEN" not in os.environ), flush=True)
    fleet = DemoFleet(cloud, args.houses, server.say, page_url=server.api_url).start()

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        signal.signal(signum, signal.SIG_DFL)  # a second Ctrl-C ends the process at once

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    while not stopping.wait(1.0):  # a timed wait lets the signal handler run promptly
        pass
    print("stopping...", flush=True)
    fleet.stop()
    server.stop()
    if cloud.injector is not None:
        print(cloud.injector.summary(), flush=True)
    print("stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["openapi"]:
        # Lazy: localcloud.openapi is another module's, with its own options.
        openapi = importlib.import_module("localcloud.openapi")
        return int(openapi.main(argv[1:]) or 0)
    args = _parser().parse_args(argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
