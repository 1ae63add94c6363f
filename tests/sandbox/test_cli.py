"""The sandbox's command line answers every slip in one line (exit 2), and passes on what the workflow refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.cli import build_parser
from sandbox.cli.demo import DemoOptions, execution_input, undo_input

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-layer7/sandbox-certificate-AbCdEf"


@pytest.mark.parametrize("option, content, message", [
    ("--input", "{bad", "argument --input: {path} is not JSON: Expecting property name"),
    ("--input", None, "argument --input: cannot read {path}: No such file or directory"),
    ("--service", "[1, 2]", "argument --service: {path}: not a Service manifest (kind: Service)"),
    ("--cert-dir", None, "argument --cert-dir: {path} has no certificate.pem and no private-key.pem"),
])
def test_a_slip_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str,
                                        content: str | None, message: str) -> None:
    path = tmp_path / "given"
    if content is not None:
        path.write_text(content)
    elif option == "--cert-dir":
        path.mkdir()
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["demo", option, str(path)])
    assert exited.value.code == 2
    [error] = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert message.format(path=path) in error


def test_input_that_is_not_an_object_goes_to_the_workflow_as_it_is(tmp_path: Path) -> None:
    # Given an input file holding a JSON array
    path = tmp_path / "input.json"
    path.write_text("[1, 2]")
    args = build_parser().parse_args(["demo", "--input", str(path)])
    # Then the sandbox fills nothing in (the workflow refuses it with InvalidInput), and an undo after it
    # gets only the sandbox's own defaults
    assert execution_input(DemoOptions(input_file=args.input), "milvus.example.com", SECRET) == [1, 2]
    assert undo_input([1, 2]) == {"layer4Verify": {"tls": False, "port": 19530}}


def test_an_object_gets_what_only_the_sandbox_knows(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"scheme": "internal"}))
    data = execution_input(DemoOptions(input_file=path), "milvus.example.com", SECRET)
    assert data == {"scheme": "internal", "host": "milvus.example.com", "certificate": {"secretArn": SECRET},
                    "namespace": "milvus", "serviceName": "milvus-demo"}


def test_faults_are_off_unless_asked_and_a_spec_that_cannot_be_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from sandbox.faults import Faults

    assert build_parser().parse_args(["demo"]).faults is None
    asked = build_parser().parse_args(["demo", "--faults", "429=0.1,reset=0.05,seed=7"]).faults
    assert asked == Faults((("429", 0.1), ("reset", 0.05)), seed=7)
    targeted = build_parser().parse_args(["demo", "--faults", "kube:429=0.1,aws.elbv2:throttle=0.1,seed=7"]).faults
    assert targeted == Faults((("429", 0.1), ("aws.elbv2:throttle", 0.1)), seed=7)
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["demo", "--faults", "429=0.9,500=0.2"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "python -m sandbox demo: error: argument --faults: fault shares '429=0.9,500=0.2,seed=0' add up to more "
        "than every call of kube")
