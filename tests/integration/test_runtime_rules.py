"""The runtime triggers a function from an EventBridge rule, as AWS does (own template)."""

from __future__ import annotations

import json
from pathlib import Path

from localcloud import LocalCloud

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  ListenerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: listener/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          SEEN_FILE: {seen}
      Events:
        Advanced:
          Type: EventBridgeRule
          Properties:
            Pattern:
              source: [smartgrid.test]
              detail-type: [Something Happened]
"""

HANDLER = """
import json, os

def handler(event, context):
    if event["detail"].get("fail"):
        raise RuntimeError("asked to fail")
    with open(os.environ["SEEN_FILE"], "a") as seen:
        seen.write(json.dumps(event["detail"]) + "\\n")
"""


def test_a_rule_invokes_its_function_once_per_matching_event(tmp_path: Path) -> None:
    # Given a function listening to one kind of event
    seen = tmp_path / "seen.jsonl"
    (tmp_path / "listener").mkdir()
    (tmp_path / "listener" / "app.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(TEMPLATE.format(seen=seen))
    with LocalCloud(tmp_path / "template.yaml") as cloud:
        # When matching and other events are put on the bus, and one that makes it fail
        entries = [
            {"Source": "smartgrid.test", "DetailType": "Something Happened", "Detail": json.dumps({"n": 1})},
            {"Source": "smartgrid.other", "DetailType": "Something Happened", "Detail": json.dumps({"n": 2})},
            {"Source": "smartgrid.test", "DetailType": "Something Happened", "Detail": json.dumps({"n": 3})},
            {
                "Source": "smartgrid.test",
                "DetailType": "Something Happened",
                "Detail": json.dumps({"fail": True}),
            },
        ]
        cloud.clients.events.put_events(Entries=entries)
        cloud.drain()
        (source,) = cloud.rule_sources
    # Then the function saw each matching event once, and the failing one was tried 3 times, then dropped
    assert sorted(json.loads(line)["n"] for line in seen.read_text().splitlines()) == [1, 3]
    assert (source.failed, source.dropped) == (3, 1)
