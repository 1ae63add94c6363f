"""The undo state machine matches docs/CONTRACT.md "The undo workflow": its order, payloads, failure path and IAM."""

from __future__ import annotations

import json

from layer7.errors import CONTRACT_ERROR_NAMES
from tests.infra.test_permissions import actions_of, resources_for, role_statements
from tests.infra.test_workflow import LAMBDA_RETRIES

UNDO_LAMBDAS = ("ValidateUndo", "RestoreLayer4", "CheckLayer4", "VerifyLayer4", "RestoreDns", "CheckDnsChange",
                "DeleteIngress", "CheckIngressDeleted", "DeleteCertificate")


def test_the_undo_state_machine_has_its_own_name_and_timeout(default_synth):
    (machine,) = [m for m in default_synth.of_type("AWS::StepFunctions::StateMachine").values()
                  if m["Properties"]["StateMachineName"] == "MilvusLayer7-Undo"]
    assert default_synth.definition("Undo")["StartAt"] == "ValidateUndo"
    default_synth.template.has_resource_properties("AWS::Logs::LogGroup", {
        "LogGroupName": "/aws/vendedlogs/states/MilvusLayer7-Undo", "RetentionInDays": 30})
    assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}


def test_the_alb_goes_only_after_layer4_is_verified_and_dns_is_back(default_synth):
    # Given the undo's definition
    states = default_synth.definition("Undo")["States"]
    # Then the Layer-4 load balancer comes back and is verified first,
    assert [states[n]["Next"] for n in ("ValidateUndo", "RestoreLayer4", "CheckLayer4")] == [
        "RestoreLayer4", "CheckLayer4", "Layer4Ready?"]
    assert states["Layer4Ready?"]["Choices"] == [{"Variable": "$.layer4.ready", "BooleanEquals": True,
                                                 "Next": "VerifyLayer4"}]
    assert states["Layer4Ready?"]["Default"] == "WaitForLayer4"
    assert states["WaitForLayer4"] == {"Type": "Wait", "SecondsPath": "$.layer4.waitSeconds", "Next": "CheckLayer4"}
    # then DNS moves back, and its TTL and the drain pass,
    assert states["VerifyLayer4"]["Next"] == "RestoreDns"
    assert states["RestoreDns"]["Next"] == "DnsRestored?"
    assert states["DnsRestored?"]["Choices"] == [{"Variable": "$.dnsRecord", "IsNull": True,
                                                 "Next": "DeleteIngress"}]
    assert states["DnsRestored?"]["Default"] == "DnsInSync?"
    assert states["DnsInSync?"]["Choices"] == [{"Variable": "$.dnsRecord.status", "StringEquals": "INSYNC",
                                               "Next": "WaitForDnsDrain"}]
    assert states["WaitForDns"]["Next"] == "CheckDnsChange" and states["CheckDnsChange"]["Next"] == "DnsInSync?"
    assert states["WaitForDnsDrain"] == {"Type": "Wait", "SecondsPath": "$.dnsRecord.waitSeconds",
                                         "Next": "DeleteIngress"}
    # and only then the Ingress goes, the ALB is waited out, and the certificate goes last
    assert states["DeleteIngress"]["Next"] == "CheckIngressDeleted"
    assert states["AlbRemoved?"]["Choices"] == [{"Variable": "$.albRemoval.done", "BooleanEquals": True,
                                                "Next": "CertificatesNotLookedAt"}]
    assert states["WaitForAlbRemoval"]["Next"] == "CheckIngressDeleted"
    # with ACM's InUseBy waited out by the state machine, from an empty first look
    assert states["CertificatesNotLookedAt"] == {"Type": "Pass", "Result": {}, "ResultPath": "$.certificates",
                                                 "Next": "DeleteCertificate"}
    assert states["DeleteCertificate"]["Next"] == "CertificatesDone?"
    assert states["CertificatesDone?"]["Choices"] == [{"Variable": "$.certificates.done", "BooleanEquals": True,
                                                      "Next": "BuildUndoOutput"}]
    assert states["CertificatesDone?"]["Default"] == "WaitForCertificatesUnused"
    assert states["WaitForCertificatesUnused"] == {"Type": "Wait", "SecondsPath": "$.certificates.waitSeconds",
                                                   "Next": "DeleteCertificate"}
    assert [states[n]["Next"] for n in ("BuildUndoOutput", "PublishUndoCompleted", "ReleaseRunLock")] == [
        "PublishUndoCompleted", "ReleaseRunLock", "Succeed"]
    assert states["BuildUndoOutput"]["Parameters"]["certificates"] == {
        "deleted.$": "$.certificates.deleted", "kept.$": "$.certificates.kept"}


def test_undo_result_paths(default_synth):
    # The payloads are held against the handlers' models in test_payloads.py.
    states = default_synth.definition("Undo")["States"]
    expected = {
        "ValidateUndo": "$", "RestoreLayer4": "$.restore", "CheckLayer4": "$.layer4", "VerifyLayer4": "$.verification",
        "RestoreDns": "$.dnsRecord", "CheckDnsChange": "$.dnsRecord", "DeleteIngress": "$.ingressDeletion",
        "CheckIngressDeleted": "$.albRemoval", "DeleteCertificate": "$.certificates",
    }
    assert {name: states[name]["ResultPath"] for name in expected} == expected


def test_every_undo_step_retries_and_catches_as_setups_do(default_synth):
    states = default_synth.definition("Undo")["States"]
    for name in UNDO_LAMBDAS:
        assert states[name]["Retry"][-3:] == LAMBDA_RETRIES, name
        result_path, explain, record = (("$", "KeepValidateError", "KeepValidateFailure") if name == "ValidateUndo"
                                        else ("$.caught", "ExplainFailure", "RecordFailure"))
        assert states[name]["Catch"] == [
            {"ErrorEquals": list(CONTRACT_ERROR_NAMES), "ResultPath": result_path, "Next": explain},
            {"ErrorEquals": ["States.ALL"], "ResultPath": result_path, "Next": record},
        ], name
    assert states["VerifyLayer4"]["Retry"][0]["ErrorEquals"] == ["VerificationFailed"]


def test_a_failed_undo_says_which_load_balancer_serves(default_synth):
    states = default_synth.definition("Undo")["States"]
    choice = states["BalancersState?"]
    assert [(c["Variable"], c["Next"]) for c in choice["Choices"]] == [
        ("$.ingressDeletion", "Layer4AndIngressDeleted"), ("$.verification", "Layer4VerifiedAlbServing"),
        ("$.restore", "AlbServing")]
    assert choice["Default"] == "NothingChanged"
    assert states["Layer4AndIngressDeleted"]["Parameters"] == {
        "layer4Address.$": "$.layer4.address", "layer4Verified": True, "ingressDeletionRequested": True}
    entry = states["PublishFailed"]["Parameters"]["Entries"][0]
    assert entry["DetailType"] == "Milvus Layer7 Undo Failed" and entry["Source"] == "milvus.layer7"
    assert set(entry["Detail"]) == {"error.$", "cause.$", "balancers.$", "executionArn.$", "stack"}
    completed = states["PublishUndoCompleted"]["Parameters"]["Entries"][0]
    assert completed["DetailType"] == "Milvus Layer7 Undo Completed"
    assert set(completed["Detail"]) == {"service.$", "verification.$", "dnsRecord.$", "ingress.$", "certificates.$",
                                        "alreadyUndoneBy.$", "warnings.$", "executionArn.$", "stack"}


def test_validate_undo_reads_both_workflows_past_executions(vpc_synth):
    # Given ValidateUndo ("already undone" reads the undo's and setup's succeeded executions)
    (function,) = [f for key, f in vpc_synth.of_type("AWS::Lambda::Function").items()
                   if key.startswith("StepsValidateUndo")]
    related = json.dumps(function["Properties"]["Environment"]["Variables"]["RELATED_STATE_MACHINE_ARNS"])
    # Then it knows both state machines, and may list and read both's executions
    assert ":stateMachine:MilvusLayer7-Setup" in related and ":stateMachine:MilvusLayer7-Undo" in related
    statements = role_statements(vpc_synth, "ValidateUndo")
    listed = json.dumps(resources_for(statements, "states:ListExecutions"))
    described = json.dumps(resources_for(statements, "states:DescribeExecution"))
    assert "MilvusLayer7-Setup" in listed and "MilvusLayer7-Undo" in listed
    assert ":execution:MilvusLayer7-Setup:*" in described and ":execution:MilvusLayer7-Undo:*" in described


def test_the_undo_deletes_only_certificates_it_imported_and_changes_only_the_stacks_zone(vpc_synth, default_synth):
    statements = role_statements(vpc_synth, "DeleteCertificate")
    [delete] = [s for s in statements if s["Action"] == "acm:DeleteCertificate"]
    assert delete["Condition"] == {"StringEquals": {"aws:ResourceTag/milvus-layer7:managed-by": "milvus-layer7"}}
    assert ":certificate/*" in json.dumps(delete["Resource"])
    dns = role_statements(vpc_synth, "RestoreDns")
    [change] = [s for s in dns if s["Action"] == "route53:ChangeResourceRecordSets"]
    assert ":route53:::hostedzone/Z0123456789ABCDEFGHIJ" in json.dumps(change["Resource"])
    assert change["Condition"] == {"ForAllValues:StringEquals": {
        "route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA", "CNAME"],
        "route53:ChangeResourceRecordSetsActions": ["CREATE", "DELETE"],
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["milvus.example.com"]}}
    # without a zone in the stack, the undo may change no DNS at all
    assert "route53:ChangeResourceRecordSets" not in actions_of(role_statements(default_synth, "RestoreDns"))


def test_the_functions_may_reach_the_layer4_load_balancer_on_its_port(vpc_synth):
    # Given a stack in a VPC (the functions' security group lets them out on named ports only)
    (group,) = [g for g in vpc_synth.of_type("AWS::EC2::SecurityGroup").values()
                if "milvus-layer7 steps" in g["Properties"]["GroupDescription"]]
    ports = {rule["FromPort"] for rule in group["Properties"]["SecurityGroupEgress"]}
    # Then VerifyLayer4 may dial the Service's port (context layer4Ports, 19530 by default)
    assert 19530 in ports
    (validate_undo,) = [f for key, f in vpc_synth.of_type("AWS::Lambda::Function").items()
                        if key.startswith("StepsValidateUndo")]
    assert validate_undo["Properties"]["Environment"]["Variables"]["LAYER4_PORTS"] == "19530"
