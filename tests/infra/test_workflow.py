"""The state machine matches DESIGN.md "State data flow"."""

from __future__ import annotations

from layer7.errors import CONTRACT_ERROR_NAMES

LAMBDA_STATES = ("Validate", "ImportCertificate", "ApplyIngress", "CheckLoadBalancer", "VerifyGrpc",
                 "RemoveLayer4", "UpsertDns", "CheckDnsChange")
RETRYABLE = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
             "Lambda.TooManyRequestsException", "TransientError"]


def test_state_names_are_the_design_words(default_synth):
    states = default_synth.definition()["States"]
    assert set(states) == {
        *LAMBDA_STATES, "LoadBalancerReady?", "WaitForLoadBalancer", "Layer4?", "KeepLayer4", "Dns?", "NoDns",
        "DnsInSync?", "WaitForDns", "BuildOutput", "PublishReady", "Succeed",
        "ExplainFailure", "TakeErrorMessage", "RecordFailure", "PublishFailed", "Failed",
    }
    assert default_synth.definition()["StartAt"] == "Validate"


def test_happy_path_transitions(default_synth):
    states = default_synth.definition()["States"]
    assert [states[name]["Next"] for name in ("Validate", "ImportCertificate", "ApplyIngress", "CheckLoadBalancer")] \
        == ["ImportCertificate", "ApplyIngress", "CheckLoadBalancer", "LoadBalancerReady?"]
    ready = states["LoadBalancerReady?"]
    assert ready["Choices"] == [{"Variable": "$.loadBalancer.ready", "BooleanEquals": True, "Next": "VerifyGrpc"}]
    assert ready["Default"] == "WaitForLoadBalancer"
    assert states["WaitForLoadBalancer"] == {"Type": "Wait", "SecondsPath": "$.loadBalancer.waitSeconds",
                                             "Next": "CheckLoadBalancer"}
    assert states["VerifyGrpc"]["Next"] == "Layer4?"
    assert states["Layer4?"]["Choices"][0] == {"Variable": "$.request.layer4", "StringEquals": "keep",
                                               "Next": "KeepLayer4"}
    assert states["Layer4?"]["Default"] == "RemoveLayer4"
    assert states["RemoveLayer4"]["Next"] == states["KeepLayer4"]["Next"] == "Dns?"
    assert states["Dns?"]["Choices"][0]["Next"] == "UpsertDns" and states["Dns?"]["Default"] == "NoDns"
    assert states["UpsertDns"]["Next"] == states["CheckDnsChange"]["Next"] == "DnsInSync?"
    assert states["DnsInSync?"]["Choices"][0] == {"Variable": "$.dnsRecord.status", "StringEquals": "INSYNC",
                                                  "Next": "BuildOutput"}
    assert states["DnsInSync?"]["Default"] == "WaitForDns"
    assert states["WaitForDns"]["Next"] == "CheckDnsChange"
    assert states["NoDns"]["Next"] == "BuildOutput"
    assert states["NoDns"]["Parameters"]["dnsRecord.$"] == "States.StringToJson('null')"
    assert states["BuildOutput"]["Next"] == "PublishReady"
    assert states["PublishReady"]["Next"] == "Succeed"
    assert states["PublishReady"]["ResultPath"] is None


def test_payloads_and_result_paths(default_synth):
    states = default_synth.definition()["States"]
    expected = {
        "Validate": ({"input.$"}, "$"),
        "ImportCertificate": ({"request.$"}, "$.certificate"),
        "ApplyIngress": ({"request.$", "certificate.$"}, "$.ingress"),
        "CheckLoadBalancer": ({"request.$", "ingress.$"}, "$.loadBalancer"),
        "VerifyGrpc": ({"request.$", "certificate.$", "loadBalancer.$"}, "$.verification"),
        "RemoveLayer4": ({"request.$"}, "$.service"),
        "UpsertDns": ({"request.$", "loadBalancer.$"}, "$.dnsRecord"),
        "CheckDnsChange": ({"request.$", "dnsRecord.$"}, "$.dnsRecord"),
    }
    for name, (keys, result_path) in expected.items():
        state = states[name]
        assert set(state["Parameters"]) == keys | {"correlationId.$"}, name
        assert state["Parameters"]["correlationId.$"] == "$$.Execution.Id"
        assert state["ResultPath"] == result_path, name
    assert states["Validate"]["ResultSelector"] == {"request.$": "$"}


def test_every_lambda_task_retries_and_catches(default_synth):
    states = default_synth.definition()["States"]
    for name in LAMBDA_STATES:
        state = states[name]
        general = state["Retry"][-1]
        assert general == {"ErrorEquals": RETRYABLE, "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}, name
        assert state["Catch"] == [
            {"ErrorEquals": list(CONTRACT_ERROR_NAMES), "ResultPath": "$.caught", "Next": "ExplainFailure"},
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught", "Next": "RecordFailure"},
        ], name
    assert states["VerifyGrpc"]["Retry"][0] == {"ErrorEquals": ["VerificationFailed"], "IntervalSeconds": 10,
                                                "MaxAttempts": 6, "BackoffRate": 2}


def test_verify_retry_comes_from_context(vpc_synth):
    retry = vpc_synth.definition()["States"]["VerifyGrpc"]["Retry"][0]
    assert (retry["IntervalSeconds"], retry["MaxAttempts"]) == (3, 4)


def test_failure_path(default_synth):
    states = default_synth.definition()["States"]
    assert states["ExplainFailure"]["Parameters"]["lambdaError.$"] == "States.StringToJson($.caught.Cause)"
    assert states["ExplainFailure"]["Next"] == "TakeErrorMessage"
    assert states["TakeErrorMessage"]["Parameters"]["cause.$"] == "$.failure.lambdaError.errorMessage"
    assert states["TakeErrorMessage"]["Next"] == states["RecordFailure"]["Next"] == "PublishFailed"
    assert states["PublishFailed"]["Next"] == "Failed"
    assert states["Failed"] == {"Type": "Fail", "ErrorPath": "$.failure.error", "CausePath": "$.failure.cause"}


def test_events_published(default_synth):
    states = default_synth.definition()["States"]
    ready = states["PublishReady"]["Parameters"]["Entries"][0]
    failed = states["PublishFailed"]["Parameters"]["Entries"][0]
    assert states["PublishReady"]["Resource"].endswith(":states:::events:putEvents")
    assert (ready["Source"], ready["DetailType"]) == ("milvus.layer7", "Milvus Layer7 Endpoint Ready")
    assert (failed["Source"], failed["DetailType"]) == ("milvus.layer7", "Milvus Layer7 Setup Failed")
    assert ready["Detail"]["executionArn.$"] == failed["Detail"]["executionArn.$"] == "$$.Execution.Id"
    assert set(failed["Detail"]) == {"error.$", "cause.$", "executionArn.$"}
    assert "EventBusName" not in ready  # the default bus


def test_state_machine_settings(default_synth):
    default_synth.template.has_resource_properties("AWS::StepFunctions::StateMachine", {
        "StateMachineType": "STANDARD",
        "TracingConfiguration": {"Enabled": True},
        "LoggingConfiguration": {"Level": "ALL", "IncludeExecutionData": True,
                                 "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": {}}}]},
    })
    assert default_synth.definition()["TimeoutSeconds"] == 7200
    default_synth.template.has_resource_properties("AWS::Logs::LogGroup", {
        "LogGroupName": "/aws/vendedlogs/states/MilvusLayer7-Workflow", "RetentionInDays": 30})
