"""tools/write_context.py: the deployment's context into cdk.json once, only when the stack would accept it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stacks.config import StackConfig
from tools.write_context import keys_the_stack_reads, main

ROOT = Path(__file__).resolve().parents[2]
VPC = ["vpcId=vpc-0123456789abcdef0", "privateSubnetIds=subnet-0123456789abcdef0,subnet-0fedcba9876543210"]


@pytest.fixture
def cdk_json(tmp_path):
    path = tmp_path / "cdk.json"
    shutil.copy(ROOT / "cdk.json", path)
    return path


def test_the_context_written_once_is_what_every_later_synth_reads(cdk_json):
    # Given the project's cdk.json, which names no VPC
    before = json.loads(cdk_json.read_text())
    # When the deployment's context is written into it
    assert main(["clusterName=my-cluster", *VPC, "host=milvus.example.com"], path=cdk_json) == 0
    # Then a bare synth reads the VPC from it, and the rest of the file is as it was
    after = json.loads(cdk_json.read_text())
    config = StackConfig.from_context(after["context"].get)
    assert (config.cluster_name, config.vpc_id, config.host) == ("my-cluster", "vpc-0123456789abcdef0",
                                                                  "milvus.example.com")
    assert after["app"] == before["app"]
    assert {k: v for k, v in after["context"].items() if k not in ("clusterName", "vpcId", "privateSubnetIds",
                                                                   "host")} == {
        k: v for k, v in before["context"].items() if k != "clusterName"}


@pytest.mark.parametrize("assignments, says", [
    (["vpcId=vpc-0123456789abcdef0"], "'vpcId' and 'privateSubnetIds' go together"),
    (["vpcID=vpc-0123456789abcdef0"], "'vpcID' is no context key the stack reads"),
    (["clusterName=my-cluster"], "context 'vpcId' is required"),
    (["vpcId"], "is not key=value"),
])
def test_a_context_the_stack_would_refuse_is_not_written(cdk_json, capsys, assignments, says):
    before = cdk_json.read_text()
    assert main(assignments, path=cdk_json) == 2
    assert says in capsys.readouterr().err and cdk_json.read_text() == before


def test_key_equals_nothing_removes_the_key_and_the_known_keys_are_the_stacks_own(cdk_json):
    assert main([*VPC], path=cdk_json) == 0
    assert main(["vpcId=none", "privateSubnetIds="], path=cdk_json) == 0
    context = json.loads(cdk_json.read_text())["context"]
    assert context["vpcId"] == "none" and "privateSubnetIds" not in context
    assert {"clusterName", "vpcId", "privateSubnetIds", "driftRepair", "skipLayerBundling"} <= keys_the_stack_reads()
