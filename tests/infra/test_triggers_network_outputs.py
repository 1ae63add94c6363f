"""The trigger rule, VPC placement, function settings and outputs."""

from __future__ import annotations

import json

from aws_cdk.assertions import Annotations, Match

STEP_HANDLERS = {
    "validate.handler.lambda_handler", "import_certificate.handler.lambda_handler",
    "apply_ingress.handler.lambda_handler", "check_load_balancer.handler.lambda_handler",
    "verify_grpc.handler.lambda_handler", "remove_layer4.handler.lambda_handler",
    "upsert_dns.handler.lambda_handler", "check_dns_change.handler.lambda_handler",
    "validate_undo.handler.lambda_handler", "restore_layer4.handler.lambda_handler",
    "check_layer4.handler.lambda_handler", "verify_layer4.handler.lambda_handler",
    "restore_dns.handler.lambda_handler", "delete_ingress.handler.lambda_handler",
    "check_ingress_deleted.handler.lambda_handler", "delete_certificate.handler.lambda_handler",
    "read_setup_record.handler.lambda_handler", "check_drift.handler.lambda_handler",
}


def test_rule_starts_the_state_machine_with_the_detail(default_synth):
    (queue_id,) = default_synth.of_type("AWS::SQS::Queue")
    default_synth.template.has_resource_properties("AWS::Events::Rule", {
        "Name": "MilvusLayer7-SetupRequested",
        # the default stack's: detail.stack names it, or is absent (tests/infra/test_stacks.py: other stacks)
        "EventPattern": Match.exact({
            "source": ["milvus.layer7"], "detail-type": ["Milvus Layer7 Setup Requested"],
            "detail": {"$or": [{"stack": ["MilvusLayer7"]}, {"stack": [{"exists": False}]}]}}),
        "State": "ENABLED",
        "Targets": [Match.object_like({
            "InputPath": "$.detail", "Arn": {"Ref": default_synth.machine_id("Setup")},
            # a failed start is retried for an hour at most, then kept, never dropped
            "RetryPolicy": {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 3600},
            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}},
        })],
    })


def test_the_dead_letter_queue_is_encrypted_and_only_the_stacks_rules_may_send_to_it(default_synth):
    (queue,) = default_synth.of_type("AWS::SQS::Queue").values()
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    (policy,) = default_synth.of_type("AWS::SQS::QueuePolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    sends = [s for s in statements if s["Action"] == "sqs:SendMessage"]
    assert len(sends) == 2  # one per rule: setup's and undo's
    for send in sends:
        assert send["Principal"] == {"Service": "events.amazonaws.com"}
        assert "aws:SourceArn" in send["Condition"]["ArnEquals"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)


def test_the_undo_rule_starts_the_undo_state_machine_with_the_detail(default_synth):
    (queue_id,) = default_synth.of_type("AWS::SQS::Queue")
    default_synth.template.has_resource_properties("AWS::Events::Rule", {
        "Name": "MilvusLayer7-UndoRequested",
        # the default stack's: detail.stack names it, or is absent (tests/infra/test_stacks.py: other stacks)
        "EventPattern": Match.exact({
            "source": ["milvus.layer7"], "detail-type": ["Milvus Layer7 Undo Requested"],
            "detail": {"$or": [{"stack": ["MilvusLayer7"]}, {"stack": [{"exists": False}]}]}}),
        "State": "ENABLED",
        "Targets": [Match.object_like({
            "InputPath": "$.detail", "Arn": {"Ref": default_synth.machine_id("Undo")},
            "RetryPolicy": {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 3600},
            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}},
        })],
    })


def test_the_events_role_trusts_eventbridge_for_this_stacks_rules_only(default_synth):
    rules = default_synth.of_type("AWS::Events::Rule").values()
    (role_id,) = {rule["Properties"]["Targets"][0]["RoleArn"]["Fn::GetAtt"][0] for rule in rules}
    starts = [statement for policy in default_synth.of_type("AWS::IAM::Policy").values()
              if {"Ref": role_id} in policy["Properties"]["Roles"]
              for statement in policy["Properties"]["PolicyDocument"]["Statement"]]
    # it may start the two workflows and nothing else
    assert {statement["Action"] for statement in starts} == {"states:StartExecution"}
    resources = {json.dumps(resource) for statement in starts for resource in
                 (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])}
    assert resources == {json.dumps({"Ref": default_synth.machine_id(workflow)}) for workflow in ("Setup", "Undo")}
    (statement,) = default_synth.resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    source_arn = statement["Condition"]["ArnLike"]["aws:SourceArn"]
    assert ":rule/MilvusLayer7-*" in json.dumps(source_arn)
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_one_function_per_step(default_synth):
    functions = default_synth.of_type("AWS::Lambda::Function").values()
    assert {f["Properties"]["Handler"] for f in functions} == STEP_HANDLERS
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions}
    log_groups = {f["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for f in functions}
    assert len(roles) == len(log_groups) == 18


def test_function_defaults(default_synth):
    default_synth.template.all_resources_properties("AWS::Lambda::Function", {
        "Runtime": "python3.14",
        "Architectures": ["arm64"],
        "TracingConfig": {"Mode": "Active"},
        "LoggingConfig": Match.object_like({"LogFormat": "JSON"}),
        "Environment": {"Variables": {
            "CLUSTER_NAME": "milvus-eks", "DEFAULT_NAMESPACE": "milvus", "DEFAULT_HOST": "",
            "DEFAULT_CERTIFICATE_SECRET_ARN": "", "HOSTED_ZONE_ID": "",
            "POWERTOOLS_SERVICE_NAME": "milvus-layer7", "POWERTOOLS_METRICS_NAMESPACE": "MilvusLayer7",
        }},
    })
    # nothing invokes a function asynchronously, so no function has an asynchronous invoke configuration
    default_synth.template.resource_count_is("AWS::Lambda::EventInvokeConfig", 0)
    for function in default_synth.of_type("AWS::Lambda::Function").values():
        assert "VpcConfig" not in function["Properties"]
    default_synth.template.all_resources_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})


def test_layers_per_function(default_synth):
    layer_ids = {key: key for key in default_synth.of_type("AWS::Lambda::LayerVersion")}
    for function in default_synth.of_type("AWS::Lambda::Function").values():
        names = sorted(layer["Ref"].split("Layer")[0].removeprefix("Steps")
                       for layer in function["Properties"]["Layers"])
        handler = function["Properties"]["Handler"]
        # the Kubernetes steps need no layer of their own: layer7/kube.py speaks the API over urllib3
        expected = ["Common", "Milvus"] if handler.startswith(("verify_grpc", "verify_layer4")) else ["Common"]
        assert names == expected, handler
    assert len(layer_ids) == 2


def test_no_vpc_is_a_warning(default_synth):
    Annotations.from_stack(default_synth.stack).has_warning("*", Match.string_like_regexp("outside any VPC"))


def test_vpc_placement_and_configuration(vpc_synth):
    vpc_synth.template.all_resources_properties("AWS::Lambda::Function", {
        "Runtime": "python3.11",
        "Architectures": ["x86_64"],
        "VpcConfig": {"SubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                      "SecurityGroupIds": [{"Fn::GetAtt": [Match.string_like_regexp("FunctionsSecurityGroup"),
                                                           "GroupId"]}]},
        "Environment": {"Variables": Match.object_like({
            "DEFAULT_HOST": "milvus.example.com", "HOSTED_ZONE_ID": "Z0123456789ABCDEFGHIJ",
            "DEFAULT_CERTIFICATE_SECRET_ARN":
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-cert-AbCdEf"})},
    })
    vpc_synth.template.has_resource_properties("AWS::EC2::SecurityGroup", {
        "VpcId": "vpc-0123456789abcdef0",
        "SecurityGroupEgress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                 "Description": Match.any_value()},
                                {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 19530, "ToPort": 19530,
                                 "Description": Match.any_value()}],
    })
    assert "SecurityGroupIngress" not in next(iter(vpc_synth.of_type("AWS::EC2::SecurityGroup").values()))[
        "Properties"]


def test_outputs(default_synth):
    outputs = default_synth.raw["Outputs"]
    assert outputs["StateMachineArn"]["Value"] == {"Ref": default_synth.machine_id("Setup")}
    assert outputs["UndoStateMachineArn"]["Value"] == {"Ref": default_synth.machine_id("Undo")}
    assert int(outputs["UndoTimeoutSeconds"]["Value"]) == default_synth.definition("Undo")["TimeoutSeconds"]
    parts = outputs["KubernetesRoleArns"]["Value"]["Fn::Join"][1]
    roles = [p["Fn::GetAtt"][0] for p in parts if isinstance(p, dict)]
    assert [p for p in parts if isinstance(p, str)] == [","] * 10
    steps = ("ReadSetupRecord", "ApplyIngress", "CheckLoadBalancer", "UpsertDns", "RemoveLayer4", "RestoreLayer4",
             "CheckLayer4", "RestoreDns", "DeleteIngress", "CheckIngressDeleted", "CheckDrift")
    assert [any(role.startswith(f"Steps{step}Role") for role in roles) for step in steps] == [True] * 11
    # layer7ctl status invokes the drift check by this name
    (drift,) = [key for key, f in default_synth.of_type("AWS::Lambda::Function").items()
                if f["Properties"]["Handler"] == "check_drift.handler.lambda_handler"]
    assert outputs["DriftCheckFunctionName"]["Value"] == {"Ref": drift}
    command = outputs["StartExecutionCommand"]["Value"]["Fn::Join"][1]
    assert command[0].startswith("aws stepfunctions start-execution --state-machine-arn ")
    # a stack with no host nor secret in its context: the input names both, as placeholders to fill in
    assert command[-1].endswith(""" --input '{"host":"<host>","certificate":{"secretArn":"<secret ARN>"}}'""")


def test_the_start_command_of_a_stack_with_host_and_secret_starts_with_its_defaults(vpc_synth):
    # Given a stack whose context has host and certificateSecretArn
    # When its StartExecutionCommand output is read
    command = vpc_synth.raw["Outputs"]["StartExecutionCommand"]["Value"]["Fn::Join"][1]
    # Then its input is {}: Validate takes both from the stack (docs/CONTRACT.md, "stack config")
    assert command[-1].endswith(" --input '{}'")
