"""The state machine matches docs/DESIGN.md "State data flow"."""

from __future__ import annotations

import json
import re
from pathlib import Path

from layer7.errors import CONTRACT_ERROR_NAMES

LAMBDA_STATES = ("Validate", "ReadSetupRecord", "ImportCertificate", "ApplyIngress", "CheckLoadBalancer", "VerifyGrpc",
                 "UpsertDns", "CheckDnsChange", "RemoveLayer4")
SERVICE_RETRY = {"ErrorEquals": ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
                                 "Lambda.ClientExecutionTimeoutException", "Lambda.TooManyRequestsException",
                                 "TransientError"],
                 "IntervalSeconds": 2, "MaxAttempts": 5, "BackoffRate": 2, "MaxDelaySeconds": 30,
                 "JitterStrategy": "FULL"}
NOT_READY_RETRY = {"ErrorEquals": ["Lambda.ResourceNotReadyException", "Lambda.ENINotReadyException",
                                   "Lambda.EC2ThrottledException", "Lambda.ResourceConflictException"],
                   "IntervalSeconds": 10, "MaxAttempts": 6, "BackoffRate": 2, "JitterStrategy": "FULL"}
# a function whose process died or whose time ran out, as Step Functions names it (stacks/retries.py LAMBDA_KILLED)
KILLED_RETRY = {"ErrorEquals": ["Runtime.ExitError", "Sandbox.Timedout", "Lambda.Unknown"],
                "IntervalSeconds": 2, "MaxAttempts": 2, "BackoffRate": 2, "JitterStrategy": "FULL"}
LAMBDA_RETRIES = [NOT_READY_RETRY, SERVICE_RETRY, KILLED_RETRY]
FAILURE_STATES = {"KeepValidateError", "KeepValidateFailure", "ExplainFailure", "TakeErrorMessage", "RecordFailure",
                  "ServiceState?", "ServiceAfterRemoveLayer4", "ServiceUnchanged", "ServiceAsRead", "ServiceNotRead",
                  "ServiceUnknown",
                  "PublishFailed", "RunLockTaken?", "ReleaseRunLockAfterFailure", "Failed"}


def test_state_names_are_the_design_words(default_synth):
    states = default_synth.definition()["States"]
    assert set(states) == {
        *LAMBDA_STATES, "LoadBalancerReady?", "WaitForLoadBalancer", "Dns?", "NoDns", "DnsInSync?", "WaitForDns",
        "Layer4?", "KeepLayer4", "PublishEndpointAvailable", "Drain?", "WaitForDrain", "WaitForLayer4Drain",
        "BuildOutput", "PublishReady", "ReadyEventNotPublished", "ReleaseRunLock", "Succeed",
        *FAILURE_STATES,
    }
    assert default_synth.definition()["StartAt"] == "Validate"


def test_dns_moves_before_the_layer4_load_balancer_goes(default_synth):
    # Given the synthesized definition
    states = default_synth.definition()["States"]
    # Then the steps run Validate .. VerifyGrpc, then DNS, then the drain, and only then RemoveLayer4
    assert [states[name]["Next"] for name in ("Validate", "ReadSetupRecord", "ImportCertificate", "ApplyIngress",
                                              "CheckLoadBalancer")] \
        == ["ReadSetupRecord", "ImportCertificate", "ApplyIngress", "CheckLoadBalancer", "LoadBalancerReady?"]
    assert states["ReadSetupRecord"]["ResultPath"] == "$.request"
    ready = states["LoadBalancerReady?"]
    assert ready["Choices"] == [{"Variable": "$.loadBalancer.ready", "BooleanEquals": True, "Next": "VerifyGrpc"}]
    assert ready["Default"] == "WaitForLoadBalancer"
    assert states["WaitForLoadBalancer"] == {"Type": "Wait", "SecondsPath": "$.loadBalancer.waitSeconds",
                                             "Next": "CheckLoadBalancer"}
    assert states["VerifyGrpc"]["Next"] == "Dns?"
    assert states["Dns?"]["Choices"][0]["Next"] == "UpsertDns" and states["Dns?"]["Default"] == "NoDns"
    assert states["UpsertDns"]["Next"] == states["CheckDnsChange"]["Next"] == "DnsInSync?"
    assert states["DnsInSync?"]["Choices"] == [{"Variable": "$.dnsRecord.status", "StringEquals": "INSYNC",
                                                "Next": "Layer4?"}]
    assert states["DnsInSync?"]["Default"] == "WaitForDns"
    assert states["WaitForDns"]["Next"] == "CheckDnsChange"
    assert states["NoDns"]["Next"] == "Layer4?"
    assert states["NoDns"]["Parameters"]["dnsRecord.$"] == "States.StringToJson('null')"
    # And the Layer-4 load balancer goes only after the ALB was announced and the drain passed, DNS or not;
    # a Service already ClusterIP has none to drain
    assert states["Layer4?"]["Choices"] == [
        {"Variable": "$.request.layer4", "StringEquals": "keep", "Next": "KeepLayer4"},
        {"Variable": "$.ingress.serviceType", "StringEquals": "ClusterIP", "Next": "RemoveLayer4"},
    ]
    assert states["Layer4?"]["Default"] == "PublishEndpointAvailable"
    available = states["PublishEndpointAvailable"]
    assert available["Next"] == "Drain?"
    assert available["Parameters"]["Entries"][0]["DetailType"] == "Milvus Layer7 Endpoint Available"
    assert available["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "RecordFailure"}]
    assert states["Drain?"]["Choices"] == [{"Variable": "$.dnsRecord", "IsNull": False, "Next": "WaitForDrain"}]
    assert states["Drain?"]["Default"] == "WaitForLayer4Drain"
    assert states["WaitForDrain"] == {"Type": "Wait", "SecondsPath": "$.dnsRecord.waitSeconds", "Next": "RemoveLayer4"}
    assert states["WaitForLayer4Drain"] == {"Type": "Wait", "SecondsPath": "$.request.layer4DrainSeconds",
                                            "Next": "RemoveLayer4"}
    assert states["RemoveLayer4"]["Next"] == states["KeepLayer4"]["Next"] == "BuildOutput"
    assert states["BuildOutput"]["Next"] == "PublishReady"
    assert states["PublishReady"]["Next"] == "ReleaseRunLock" and states["ReleaseRunLock"]["Next"] == "Succeed"
    assert states["PublishReady"]["ResultPath"] is None


def test_result_paths(default_synth):
    # The payloads are held against the handlers' models in test_payloads.py.
    states = default_synth.definition()["States"]
    expected = {
        "Validate": "$", "ImportCertificate": "$.certificate", "ApplyIngress": "$.ingress",
        "CheckLoadBalancer": "$.loadBalancer", "VerifyGrpc": "$.verification", "UpsertDns": "$.dnsRecord",
        "CheckDnsChange": "$.dnsRecord", "RemoveLayer4": "$.service",
    }
    assert {name: states[name]["ResultPath"] for name in expected} == expected
    assert states["Validate"]["ResultSelector"] == {"request.$": "$"}
    assert states["Validate"]["Parameters"]["stateMachineArn.$"] == "$$.StateMachine.Id"
    assert states["KeepLayer4"]["Parameters"]["before.$"] == "States.StringToJson('null')"


def test_the_output_copies_every_verification_field_the_contract_names(default_synth):
    # Given BuildOutput, which copies verification fields one by one
    verification = default_synth.definition()["States"]["BuildOutput"]["Parameters"]["verification"]
    # Then the certificate the ALB presented and the TLS version are among them
    assert verification == {f"{key}.$": f"$.verification.{key}" for key in (
        "endpoint", "serverName", "serverVersion", "latencyMs", "certificateFingerprintSha256", "tlsVersion")}


def test_every_lambda_task_retries_a_not_ready_function_the_service_and_a_killed_run_and_catches(default_synth):
    states = default_synth.definition()["States"]
    for name in LAMBDA_STATES:
        state = states[name]
        assert state["Retry"][-3:] == LAMBDA_RETRIES, name
        if name == "Validate":
            # its catchers drop the input (it may be near the payload limit, or not an object)
            assert state["Catch"] == [
                {"ErrorEquals": list(CONTRACT_ERROR_NAMES), "ResultPath": "$", "Next": "KeepValidateError"},
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$", "Next": "KeepValidateFailure"},
            ]
            continue
        assert state["Catch"] == [
            {"ErrorEquals": list(CONTRACT_ERROR_NAMES), "ResultPath": "$.caught", "Next": "ExplainFailure"},
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "RecordFailure"},
        ], name
    assert states["VerifyGrpc"]["Retry"][0] == {"ErrorEquals": ["VerificationFailed"], "IntervalSeconds": 10,
                                                "MaxAttempts": 6, "BackoffRate": 2, "MaxDelaySeconds": 60}


def test_verify_retry_comes_from_context(vpc_synth):
    retry = vpc_synth.definition()["States"]["VerifyGrpc"]["Retry"][0]
    assert (retry["IntervalSeconds"], retry["MaxAttempts"]) == (3, 4)


def test_failure_path_keeps_the_error_and_says_what_became_of_the_service(default_synth):
    states = default_synth.definition()["States"]
    assert states["KeepValidateError"]["Parameters"] == {"caught.$": "$"}
    assert states["KeepValidateError"]["Next"] == "ExplainFailure"
    assert states["KeepValidateFailure"]["Next"] == "RecordFailure"
    assert states["ExplainFailure"]["Parameters"]["lambdaError.$"] == "States.StringToJson($.caught.Cause)"
    assert states["ExplainFailure"]["Next"] == "TakeErrorMessage"
    assert states["TakeErrorMessage"]["Parameters"]["cause.$"] == "$.failure.lambdaError.errorMessage"
    assert states["TakeErrorMessage"]["Next"] == states["RecordFailure"]["Next"] == "ServiceState?"
    choice = states["ServiceState?"]
    assert [c["Next"] for c in choice["Choices"]] == ["ServiceAfterRemoveLayer4", "ServiceUnchanged", "ServiceAsRead",
                                                      "ServiceNotRead"]
    assert choice["Default"] == "ServiceUnknown"
    assert states["ServiceAfterRemoveLayer4"]["Parameters"] == {"name.$": "$.service.name", "type.$": "$.service.type",
                                                                "changedByThisRun": True}
    assert states["ServiceAsRead"]["Parameters"]["type.$"] == "$.ingress.serviceType"
    for name in ("ServiceAfterRemoveLayer4", "ServiceUnchanged", "ServiceAsRead", "ServiceNotRead", "ServiceUnknown"):
        assert states[name]["ResultPath"] == "$.failure.service" and states[name]["Next"] == "PublishFailed"
    # a failure to publish keeps the original error: Failed reads $.failure either way
    assert states["PublishFailed"]["Next"] == "RunLockTaken?"
    assert states["PublishFailed"]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.publishError",
                                                 "Next": "RunLockTaken?"}]
    assert states["Failed"] == {"Type": "Fail", "ErrorPath": "$.failure.error", "CausePath": "$.failure.cause"}


def test_a_ready_event_that_cannot_be_published_does_not_fail_a_live_endpoint(default_synth):
    states = default_synth.definition()["States"]
    assert states["PublishReady"]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught",
                                                "Next": "ReadyEventNotPublished"}]
    assert states["ReadyEventNotPublished"]["ResultPath"] == "$.output.readyEventError"
    assert states["ReadyEventNotPublished"]["Next"] == "ReleaseRunLock"


def test_events_published(default_synth):
    states = default_synth.definition()["States"]
    ready = states["PublishReady"]["Parameters"]["Entries"][0]
    failed = states["PublishFailed"]["Parameters"]["Entries"][0]
    assert states["PublishReady"]["Resource"].endswith(":states:::events:putEvents")
    assert (ready["Source"], ready["DetailType"]) == ("milvus.layer7", "Milvus Layer7 Endpoint Ready")
    assert (failed["Source"], failed["DetailType"]) == ("milvus.layer7", "Milvus Layer7 Setup Failed")
    assert ready["Detail"]["executionArn.$"] == failed["Detail"]["executionArn.$"] == "$$.Execution.Id"
    assert set(failed["Detail"]) == {"error.$", "cause.$", "service.$", "executionArn.$", "stack"}
    assert ready["Detail"]["stack"] == failed["Detail"]["stack"] == "MilvusLayer7"  # the stack that sent it
    assert "EventBusName" not in ready  # the default bus
    assert states["PublishReady"]["TimeoutSeconds"] == states["PublishFailed"]["TimeoutSeconds"] == 30


def test_state_machine_settings(default_synth):
    default_synth.template.has_resource_properties("AWS::StepFunctions::StateMachine", {
        "StateMachineName": "MilvusLayer7-Setup",
        "StateMachineType": "STANDARD",
        "TracingConfiguration": {"Enabled": True},
        "LoggingConfiguration": {"Level": "ALL", "IncludeExecutionData": True,
                                 "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": {}}}]},
    })
    default_synth.template.has_resource_properties("AWS::Logs::LogGroup", {
        "LogGroupName": "/aws/vendedlogs/states/MilvusLayer7-Workflow", "RetentionInDays": 30})


def test_every_retrier_of_a_transient_fault_waits_with_full_jitter(default_synth):
    # Given both definitions: Lambda tasks, the PutEvents tasks, the run lock's release
    for workflow in ("Setup", "Undo"):
        for name, state in default_synth.definition(workflow)["States"].items():
            for retrier in state.get("Retry", []):
                # Then every retrier spreads its waits, but VerificationFailed's, which waits for one ALB's name
                if retrier["ErrorEquals"] == ["VerificationFailed"]:
                    assert "JitterStrategy" not in retrier, (workflow, name)
                else:
                    assert retrier["JitterStrategy"] == "FULL", (workflow, name, retrier["ErrorEquals"])


def test_the_contract_states_each_retriers_budget(default_synth):
    # Given the contract's table of retried errors
    contract = (Path(__file__).resolve().parents[2] / "docs" / "CONTRACT.md").read_text()
    table = contract.split("| retried error |", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        errors = tuple(sorted(re.findall(r"`([A-Za-z0-9.]+)`", cells[0])))
        rows[errors] = cells[2:]
    # Then every retrier of both definitions is a row, with the definition's numbers
    retriers = {json.dumps(r, sort_keys=True): r for workflow in ("Setup", "Undo")
                for state in default_synth.definition(workflow)["States"].values() for r in state.get("Retry", [])}
    assert len(rows) == len(retriers)
    for retrier in retriers.values():
        attempts, interval, backoff, max_delay, jitter, longest = rows[tuple(sorted(retrier["ErrorEquals"]))]
        delays = [min(retrier["IntervalSeconds"] * retrier["BackoffRate"] ** n, retrier.get("MaxDelaySeconds", 1e9))
                  for n in range(retrier["MaxAttempts"])]
        # (a row for a setting from context gives the default's number last, in brackets)
        last_number = [re.findall(r"\d+", cell)[-1] for cell in (attempts, interval)]
        assert (*last_number, backoff, max_delay, jitter, longest) == (
            str(retrier["MaxAttempts"]), str(retrier["IntervalSeconds"]), f"{retrier['BackoffRate']:g}",
            f"{retrier['MaxDelaySeconds']} s" if "MaxDelaySeconds" in retrier else "none",
            "full" if retrier.get("JitterStrategy") == "FULL" else "none", f"{sum(delays):g} s")
