"""layer7ctl as people who run `aws` expect it: --profile and --region as the AWS CLI reads them, options after
the command, --output json on every command, start named like undo, --input -, the name it was run by."""

from __future__ import annotations

import io
import json

import pytest

from layer7ctl.__main__ import main
from layer7ctl.clients import Clients, connect_to_aws
from tests.unit.test_layer7ctl import (
    EXECUTION,
    MACHINE,
    UNDO_MACHINE,
    NoCalls,
    ScriptedStepFunctions,
    cloudformation,
    connected,
)


@pytest.fixture
def no_aws_settings(monkeypatch, tmp_path):
    """No region, profile or keys from this machine; config and credentials files of the test's own."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[profile ops]\nregion = ap-southeast-2\n[default]\nregion = us-west-2\n")
    credentials.write_text("[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = ops-secret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    return monkeypatch


# --- region and profile, as the AWS CLI reads them ------------------------------------------------------------


@pytest.mark.parametrize(("environment", "region", "expected"), [
    ({"AWS_REGION": "eu-west-1"}, None, "eu-west-1"),  # boto3 alone would not read it
    ({"AWS_DEFAULT_REGION": "eu-central-1"}, None, "eu-central-1"),
    ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-central-1"}, None, "eu-west-1"),
    ({"AWS_REGION": "eu-west-1"}, "sa-east-1", "sa-east-1"),
    ({}, None, "us-west-2"),  # the default profile's
])
def test_the_region_is_chosen_as_the_aws_cli_chooses_it(no_aws_settings, environment, region, expected):
    for name, value in environment.items():
        no_aws_settings.setenv(name, value)
    clients = connect_to_aws(region)
    assert (clients.region, clients.cfn.meta.region_name, clients.lambda_.meta.region_name) == (expected,) * 3


def test_a_profile_gives_its_region_and_credentials_by_option_or_AWS_PROFILE(no_aws_settings):  # noqa: N802
    by_option = connect_to_aws(None, "ops")
    no_aws_settings.setenv("AWS_PROFILE", "ops")
    by_environment = connect_to_aws(None)
    for clients in (by_option, by_environment):
        assert clients.region == "ap-southeast-2"
        assert clients.sfn._request_signer._credentials.access_key == "AKIAOPS"


def test_profile_and_region_reach_the_clients_before_or_after_the_command():
    asked = []

    def connect(region, profile):
        asked.append((region, profile))
        return connected(ScriptedStepFunctions(), NoCalls())(region, profile)

    assert main(["--profile", "ops", "--region", "eu-west-1", "describe", EXECUTION], connect=connect) == 0
    assert main(["describe", EXECUTION, "--profile", "ops", "--region", "eu-west-1"], connect=connect) == 0
    assert asked == [("eu-west-1", "ops")] * 2


def test_an_unknown_profile_is_one_line_and_exit_2(no_aws_settings, capsys):
    assert main(["--profile", "nobody", "list"]) == 2
    assert capsys.readouterr().err == ("error: The config profile (nobody) could not be found: check --profile and "
                                       "AWS_PROFILE (`aws configure list-profiles`)\n")


def test_a_global_option_after_the_command_wins_over_one_before_it():
    sfn = ScriptedStepFunctions()
    assert main(["--state-machine-arn", "arn:before", "list", "--workflow", "setup", "--state-machine-arn",
                 "arn:after"], connect=connected(sfn, NoCalls())) == 0
    assert sfn.listed == [{"stateMachineArn": "arn:after", "maxResults": 20}]


# --- start, named as undo is; --input - -------------------------------------------------------------------------


def test_start_takes_the_cluster_ingress_and_zone_as_undo_does():
    sfn = ScriptedStepFunctions()
    assert main(["start", "--host", "milvus.example.com", "--cluster-name", "prod-eks", "--ingress-name", "ing",
                 "--hosted-zone-id", "Z123"], connect=connected(sfn)) == 0
    assert [json.loads(s["input"]) for s in sfn.started] == [{
        "host": "milvus.example.com", "clusterName": "prod-eks", "ingressName": "ing",
        "dns": {"hostedZoneId": "Z123"}}]


@pytest.mark.parametrize(("command", "machine"), [("start", MACHINE), ("undo", UNDO_MACHINE)])
def test_input_dash_reads_standard_input(command, machine, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"host": "milvus.example.com", "namespace": "ns"}'))
    sfn = ScriptedStepFunctions()
    assert main([command, "--input", "-", "--namespace", "milvus"], connect=connected(sfn)) == 0
    assert sfn.started == [{"stateMachineArn": machine,
                            "input": json.dumps({"host": "milvus.example.com", "namespace": "milvus"})}]


def test_input_dash_that_is_not_json_is_one_line_and_exit_2(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("host: x"))
    assert main(["start", "--input", "-"], connect=NoCalls()) == 2
    assert capsys.readouterr().err == ("error: --input - (standard input) is not JSON (Expecting value: line 1 "
                                       "column 1 (char 0)): fix the file\n")


# --- --output json: one JSON document on stdout, every command ----------------------------------------------


def _json_out(capsys, argv, sfn, cfn=None):
    code = main([*argv, "--output", "json"], connect=connected(sfn, cfn))
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("command", ["start", "undo"])
def test_start_and_undo_print_the_execution_as_json(command, capsys):
    code, out = _json_out(capsys, [command, "--host", "h"], ScriptedStepFunctions())
    assert (code, out) == (0, {"executionArn": EXECUTION, "startDate": None})


def test_completion_as_json_is_the_shell_and_its_script(capsys):
    code = main(["--output", "json", "completion", "bash"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["shell"] == "bash" and "teardown" in out["script"]


@pytest.mark.parametrize("argv", [["follow", EXECUTION], ["start", "--host", "h", "--follow"]])
def test_follow_prints_the_end_of_the_run_as_json_and_keeps_its_exit_code(argv, capsys):
    code, out = _json_out(capsys, argv, ScriptedStepFunctions())
    assert code == 1
    assert out == {"executionArn": EXECUTION, "status": "FAILED", "output": None, "error": "ServiceNotFound",
                   "cause": "no Service milvus/milvus-demo",
                   "states": ["Validate", "ImportCertificate", "ApplyIngress"], "seconds": 12.0,
                   "whatToDo": "`kubectl -n NS get svc` and fix the input"}


def test_status_output_json_is_its_report(capsys):
    from tests.unit.test_layer7ctl_status import MATCHES, FakeLambda

    lam = FakeLambda(MATCHES)
    code = main(["status", "--output", "json", "--drift-check-function", "f"],
                connect=lambda region, profile: Clients(sfn=NoCalls(), cfn=NoCalls(), region="us-east-1", lambda_=lam))
    assert (code, json.loads(capsys.readouterr().out)) == (0, MATCHES)


# --- the name it was run by ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("argv0", "name"), [("/usr/local/bin/layer7ctl", "layer7ctl"),
                                             ("/venv/lib/python3.11/site-packages/layer7ctl/__main__.py",
                                              "python -m layer7ctl")])
def test_the_help_names_the_command_as_it_was_run(argv0, name, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", [argv0])
    with pytest.raises(SystemExit):
        main(["list", "--help"], connect=NoCalls())
    assert capsys.readouterr().out.startswith(f"usage: {name} list ")


def test_list_reads_the_stack_once_for_both_workflows():
    # Given a stack whose one DescribeStacks answer is stubbed (a second call would fail)
    sfn = ScriptedStepFunctions()
    # When both workflows are listed
    assert main(["list"], connect=connected(sfn, cloudformation())) == 0
    # Then both of its outputs were used
    assert [listed["stateMachineArn"] for listed in sfn.listed] == [MACHINE, UNDO_MACHINE]
