"""What the stack creates and what it may do, held against a reviewed snapshot.

A refactor of the CDK code (grants moved, constructs split) must leave the
template's resources and IAM statements as they were; a change that means
to alter them shows here as a diff of tests/infra/snapshots/*.json, for a
reviewer to read beside the code. Only what matters for that is kept: each
resource's type under its logical id, and each IAM policy's statements with
their resources and conditions (asset hashes and other generated values are
left out). After an intended change, rewrite the snapshots with
``UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/infra/test_template_snapshot.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


def essentials(raw: dict[str, Any]) -> dict[str, Any]:
    resources = raw["Resources"]
    statements = {}
    for logical_id, resource in sorted(resources.items()):
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            document = resource["Properties"]["PolicyDocument"]
            roles = resource["Properties"].get("Roles") or []
            statements[logical_id] = {"roles": roles, "statements": document["Statement"]}
        if resource["Type"] == "AWS::IAM::Role":
            props = resource["Properties"]
            statements[logical_id] = {"assumedBy": props.get("AssumeRolePolicyDocument"),
                                      "managed": props.get("ManagedPolicyArns"),
                                      "inline": props.get("Policies")}
    return {"resourceTypes": {logical_id: resource["Type"] for logical_id, resource in sorted(resources.items())},
            "iam": statements}


@pytest.mark.parametrize("synth_name", ["default_synth", "full_synth"])
def test_resources_and_iam_statements_are_the_reviewed_ones(synth_name, request):
    # Given the template synthesized with this context
    actual = essentials(request.getfixturevalue(synth_name).raw)
    path = SNAPSHOTS / f"{synth_name.removesuffix('_synth')}.json"
    text = json.dumps(actual, indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    # Then its resources and IAM statements are the snapshot's
    assert path.exists(), f"no snapshot yet: run with UPDATE_SNAPSHOTS=1 and review {path}"
    expected = json.loads(path.read_text())
    assert actual["resourceTypes"] == expected["resourceTypes"]
    assert actual["iam"] == expected["iam"]
