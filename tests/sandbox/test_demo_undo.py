"""The sandbox's way back, without starting it: the undo input the demo sends, the examples serve writes,
and the stack outputs it reads."""

from __future__ import annotations

import json

from sandbox.cli.demo import undo_input
from sandbox.cli.serve import write_examples
from sandbox.environment import _find_output


def test_the_demos_undo_names_what_setup_worked_on():
    setup = {"host": "milvus.sandbox.example.com", "certificate": {"secretArn": "arn:x"}, "namespace": "milvus",
             "serviceName": "vectors", "servicePort": 19531, "dns": {"hostedZoneId": "Z1"}, "listenPort": 8443,
             "verify": {"roundTrip": True}}
    assert undo_input(setup) == {"host": "milvus.sandbox.example.com", "namespace": "milvus",
                                 "serviceName": "vectors", "dns": {"hostedZoneId": "Z1"},
                                 "layer4Verify": {"tls": False, "port": 19531}}


def test_serve_writes_the_undo_examples_with_the_sandboxs_host(tmp_path):
    paths = write_examples(tmp_path, "milvus.sandbox.example.com", "arn:aws:secretsmanager:us-east-1:1:secret:s")
    undo = json.loads(paths["undo-input"].read_text())
    [entry] = json.loads(paths["undo-event"].read_text())
    assert undo["host"] == json.loads(entry["Detail"])["host"] == "milvus.sandbox.example.com"
    assert entry["DetailType"] == "Milvus Layer7 Undo Requested" and "certificate" not in undo


def test_the_setup_arn_is_never_taken_for_the_undos():
    outputs = {"MilvusLayer7": {"UndoStateMachineArn": "undo", "StateMachineArn": "setup",
                                "UndoTimeoutSeconds": "1"}}
    assert (_find_output(outputs, "StateMachineArn"), _find_output(outputs, "UndoStateMachineArn")) == (
        "setup", "undo")
