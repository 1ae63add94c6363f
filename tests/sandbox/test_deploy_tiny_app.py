"""The real CDK CLI deploys into the sandbox's moto (slow: bootstrap + synth + deploy).

Uses a small app (tests/sandbox/tinyapp) with the resource kinds the
product's stack uses, so a moto or CDK CLI regression shows here apart from
the product; the product's own stack is deployed once per e2e session.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from sandbox.aws import deploy, eks

ROOT = Path(__file__).resolve().parents[2]
TINY = Path(__file__).resolve().parent / "tinyapp"

needs_cdk = pytest.mark.skipif(not (ROOT / "node_modules/.bin/cdk").exists(),
                               reason="CDK CLI missing: npm install --no-audit --no-fund")


def _wait(sfn, arn: str) -> dict:
    for _ in range(150):
        result = sfn.describe_execution(executionArn=arn)
        if result["status"] != "RUNNING":
            return result
        time.sleep(0.2)
    raise AssertionError("execution still running")


@needs_cdk
def test_tiny_app_deploys_and_runs(sandbox, tmp_path):
    app = tmp_path / "app"
    shutil.copytree(TINY, app)
    vpc_id, subnets = eks.create_vpc(sandbox.client("ec2"), sandbox.region)
    outputs = deploy.deploy_stack(sandbox, context={"vpcId": vpc_id, "privateSubnetIds": ",".join(subnets)},
                                  outdir=tmp_path / "out", app_dir=app)
    stack = outputs["TinyStack"]
    lam = sandbox.client("lambda")
    result = lam.invoke(FunctionName=stack["FunctionName"], Payload=b'{"host": "h"}')
    assert json.loads(result["Payload"].read()) == {"layer": "from-layer", "host": "h", "cluster": "milvus-eks"}
    config = lam.get_function(FunctionName=stack["FunctionName"])["Configuration"]
    assert len(config["Layers"]) == 1 and config["Architectures"] == ["x86_64"]
    sandbox.client("events").put_events(Entries=[{"Source": "tiny.app", "DetailType": "Requested",
                                                  "Detail": json.dumps({"fail": True})}])
    sfn = sandbox.client("stepfunctions")
    execution = sfn.list_executions(stateMachineArn=stack["StateMachineArn"])["executions"][0]
    done = _wait(sfn, execution["executionArn"])
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"])["failure"]["Error"] == "MyError"
    groups = [g["logGroupName"] for g in sandbox.client("logs").describe_log_groups()["logGroups"]]
    assert any("FnLogs" in g for g in groups)
