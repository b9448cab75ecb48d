"""A small HTTP client for scenarios, and the printed ✓/✗ steps."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class ScenarioFailed(Exception):
    pass


@dataclass
class Answer:
    status: int
    body: Any
    call: str = ""  # the HTTP call that got it, e.g. "GET /clock"


class Grid:
    def __init__(self, endpoint: str, staff_token: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.staff_token = staff_token

    def staff(self, method: str, path: str, body: Any = None) -> Answer:
        """A call as staff (Charles)."""
        return self.call(method, path, body, self.staff_token)

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Answer:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.endpoint + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        return Answer(status, json.loads(raw) if raw else None, f"{method} {path}")


class Steps:
    """Each step prints what is done, the call, what is expected and what came back."""

    def __init__(self, title: str) -> None:
        self.count = 0
        print(f"== {title}")

    def check(self, what: str, answer: Answer, expected: str, ok: Callable[[Answer], bool]) -> Answer:
        self.count += 1
        passed = ok(answer)
        mark = "✓" if passed else "✗"
        call = f"\n     {answer.call}" if answer.call else ""
        print(
            f"{mark} {self.count}. {what}{call}\n     expected {expected}"
            f"\n     got {answer.status} {json.dumps(answer.body)[:300]}",
            flush=True,
        )
        if not passed:
            raise ScenarioFailed(what)
        return answer

    def wait_for(
        self,
        what: str,
        poll: Callable[[], Answer],
        expected: str,
        ok: Callable[[Answer], bool],
        timeout: float = 30,
    ) -> Answer:
        deadline = time.monotonic() + timeout
        answer = poll()
        while not ok(answer) and time.monotonic() < deadline:
            time.sleep(0.2)
            answer = poll()
        return self.check(what, answer, expected, ok)


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--endpoint",
        default=os.environ.get("SMARTGRID_ENDPOINT", "http://127.0.0.1:3000"),
        help="the grid's API URL",
    )
    where.add_argument("--stack", help="a deployed stack's name: its ApiUrl output is the endpoint")
    parser.add_argument("--localstack", action="store_true", help="with --stack: the stack is on LocalStack")
    parser.add_argument("--staff-token", default=os.environ.get("SMARTGRID_STAFF_TOKEN", ""))
    args = parser.parse_args()
    if args.stack:
        args.endpoint = stack_api_url(args.stack, args.localstack)
    return args


def stack_api_url(stack: str, localstack: bool) -> str:
    """The ApiUrl output of a deployed stack, on AWS or LocalStack."""
    if localstack:
        import localstack_client.session

        cloudformation = localstack_client.session.Session().client("cloudformation")
    else:
        import boto3

        cloudformation = boto3.client("cloudformation")
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    return next(str(o["OutputValue"]) for o in outputs if o["OutputKey"] == "ApiUrl")


def run(play: Callable[[Grid, Steps], None], title: str) -> int:
    args = arguments(title)
    if not args.staff_token:
        print("a staff token is needed: --staff-token or SMARTGRID_STAFF_TOKEN", file=sys.stderr)
        return 2
    steps = Steps(title)
    try:
        play(Grid(args.endpoint, args.staff_token), steps)
    except ScenarioFailed:
        return 1
    print(f"== {steps.count} steps passed")
    return 0
