"""No secret in the repository (issue 9, part 4).

The rule: outside tests/ (whose tokens are fixtures, made up for the tests), no tracked file
holds a string shaped like one of our tokens (`<id>.<secret>`, the head-end's included), an
AWS access key id, a private key, or a non-dummy AWS secret key; and the template's secret
parameters (NoEcho) have no default, nor a value in samconfig.toml: they are given at
deploy time (see samconfig.toml).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from localcloud.template import read_blueprint

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ("tests/",)
SECRET_SHAPES = {
    "a grid token": re.compile(r"\b(?:h|p|pa|c)-[0-9a-z]{6,}\.[A-Za-z0-9_-]{20,}"),
    "a head-end token": re.compile(r"\bhead-end\.[A-Za-z0-9_-]{20,}"),
    "an AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "a private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "an AWS secret key": re.compile(
        r"aws_secret_access_key\s*[=:]\s*[\"']?(?!testing\b|any\b)[A-Za-z0-9/+]{8,}"
    ),
}


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in listed.split("\0") if name and not name.startswith(FIXTURES)]


def test_no_tracked_file_holds_a_secret() -> None:
    found = []
    for path in tracked_files():
        if not path.is_file():
            continue  # deleted in the work tree, not yet in the index
        text = path.read_bytes().decode("utf-8", "replace")
        for what, shape in SECRET_SHAPES.items():
            for match in shape.finditer(text):
                found.append(f"{path.relative_to(ROOT)}: {what} ({match.group(0)[:12]}…)")
    assert found == []


def test_the_shapes_catch_what_they_are_for() -> None:
    # Given made-up secrets of each kind, Then each shape catches its own
    samples = {
        "a grid token": "token = 'h-0123456789ab.wwiM21MQrXTmyg6RCh6PdgaYNHTcwsFf'",
        "a head-end token": "HEAD_END=head-end.Zr8s0l1n3Yq6yJ9mN2bV4cX7aW5eQ0tU",
        "an AWS access key id": "key AKIAABCDEFGHIJKLMNOP",
        "a private key": "-----BEGIN RSA PRIVATE KEY-----",
        "an AWS secret key": "aws_secret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCY",
    }
    for what, sample in samples.items():
        assert SECRET_SHAPES[what].search(sample), what
    assert not SECRET_SHAPES["an AWS secret key"].search('aws_secret_access_key="testing"')


def test_secret_parameters_are_given_at_deploy_time_only() -> None:
    parameters = read_blueprint(ROOT / "template.yaml").parameters
    secret = {name for name, spec in parameters.items() if spec.get("NoEcho")}
    assert {"StaffTokenSha256", "HeadEndToken", "HeadEndTokenSha256"} <= secret
    assert [name for name in secret if "Default" in parameters[name]] == []
    samconfig = (ROOT / "samconfig.toml").read_text()
    overrides = " ".join(line for line in samconfig.splitlines() if not line.lstrip().startswith("#"))
    assert [name for name in secret if name in overrides] == []
