"""The Step Functions state machine, exactly as DESIGN.md "State data flow".

Each Lambda task passes ``payload_response_only=True``: the function's return
value is the task result (placed at the state's ResultPath with no
``$.Payload`` unwrapping), and a function error surfaces with its
``errorType`` as the state's error, which is what Retry and Catch match.

Failure path. Catch puts Error/Cause at ``$.caught``. For the nine contract
errors the Cause is the Lambda's error JSON; Amazon States Language cannot
index into the result of ``States.StringToJson`` within one state, so
``ExplainFailure`` parses it and ``TakeErrorMessage`` keeps only
``errorMessage`` (the stack trace never reaches the event or the execution's
cause). Anything else goes to ``RecordFailure`` with the raw Error and Cause.
Both leave ``$.failure = {error, cause}`` for ``PublishFailed`` and ``Failed``.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import constants

_EXECUTION_ID = "$$.Execution.Id"  # correlationId and executionArn (a plain path: CDK would add a 2nd ".$" to a token)


class Workflow(Construct):
    """The Standard state machine that runs the steps and publishes the outcome."""

    def __init__(self, scope: Construct, construct_id: str, *, functions: dict[str, lambda_.IFunction],
                 verify_retry_interval_seconds: int, verify_max_attempts: int) -> None:
        super().__init__(scope, construct_id)
        self._functions = functions
        self._verify_retry = (verify_retry_interval_seconds, verify_max_attempts)
        self._failure_start = self._build_failure_path()
        definition = self._build_definition()
        self.log_group = logs.LogGroup(
            self, "Logs",
            log_group_name=f"/aws/vendedlogs/states/{Stack.of(self).stack_name}-Workflow",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self, "StateMachine",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.hours(constants.WORKFLOW_TIMEOUT_HOURS),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            comment="milvus-layer7: put a Milvus on EKS behind an ALB (CONTRACT.md)",
        )

    # --- the happy path -------------------------------------------------------

    def _build_definition(self) -> sfn.IChainable:
        validate = self._invoke("Validate", {"input.$": "$"}, result_path="$",
                                result_selector={"request.$": "$"})
        import_certificate = self._invoke("ImportCertificate", {"request.$": "$.request"},
                                          result_path="$.certificate")
        apply_ingress = self._invoke("ApplyIngress", {"request.$": "$.request", "certificate.$": "$.certificate"},
                                     result_path="$.ingress")
        check_load_balancer = self._invoke("CheckLoadBalancer", {"request.$": "$.request", "ingress.$": "$.ingress"},
                                           result_path="$.loadBalancer")
        wait_for_load_balancer = sfn.Wait(self, "WaitForLoadBalancer",
                                          time=sfn.WaitTime.seconds_path("$.loadBalancer.waitSeconds"))
        verify_grpc = self._invoke("VerifyGrpc", {"request.$": "$.request", "certificate.$": "$.certificate",
                                                  "loadBalancer.$": "$.loadBalancer"},
                                   result_path="$.verification", extra_retry=self._verify_retry)
        remove_layer4 = self._invoke("RemoveLayer4", {"request.$": "$.request"}, result_path="$.service")
        keep_layer4 = sfn.Pass(self, "KeepLayer4", result_path="$.service", parameters={
            "name.$": "$.request.serviceName",
            "previousType.$": "$.ingress.serviceType",
            "type.$": "$.ingress.serviceType",
            "before.$": "States.StringToJson('null')",  # this run changed nothing (see NoDns)
        })
        upsert_dns = self._invoke("UpsertDns", {"request.$": "$.request", "loadBalancer.$": "$.loadBalancer"},
                                  result_path="$.dnsRecord")
        check_dns_change = self._invoke("CheckDnsChange", {"request.$": "$.request", "dnsRecord.$": "$.dnsRecord"},
                                        result_path="$.dnsRecord")
        wait_for_dns = sfn.Wait(self, "WaitForDns", time=sfn.WaitTime.duration(
            Duration.seconds(constants.DNS_WAIT_SECONDS)))
        # The state is rebuilt with dnsRecord = null: the Pass "Result" field
        # cannot carry a bare null through CDK, States.StringToJson('null') can.
        no_dns = sfn.Pass(self, "NoDns", result_path="$", parameters={
            **{f"{key}.$": f"$.{key}" for key in constants.STATE_KEYS_BEFORE_DNS},
            "dnsRecord.$": "States.StringToJson('null')",
        })
        build_output = sfn.Pass(self, "BuildOutput", result_path="$", parameters={
            "certificateArn.$": "$.certificate.certificateArn",
            "certificateImported.$": "$.certificate.certificateImported",
            "loadBalancer": {"dnsName.$": "$.loadBalancer.dnsName", "arn.$": "$.loadBalancer.arn",
                             "listenPort.$": "$.loadBalancer.listenPort"},
            "ingress": {"namespace.$": "$.ingress.namespace", "name.$": "$.ingress.name"},
            "service.$": "$.service",
            "verification": {"endpoint.$": "$.verification.endpoint",
                             "serverName.$": "$.verification.serverName",
                             "serverVersion.$": "$.verification.serverVersion",
                             "latencyMs.$": "$.verification.latencyMs"},
            "dnsRecord.$": "$.dnsRecord",
            "warnings.$": "$.ingress.warnings",
        })
        publish_ready = self._publish("PublishReady", constants.DETAIL_TYPE_READY, {
            **{f"{key}.$": f"$.{key}" for key in constants.OUTPUT_KEYS},
            "executionArn.$": _EXECUTION_ID,
        })
        publish_ready.add_catch(self._record_failure, errors=["States.ALL"], result_path="$.caught")
        succeed = sfn.Succeed(self, "Succeed")

        dns_in_sync = (sfn.Choice(self, "DnsInSync?")
                       .when(sfn.Condition.string_equals("$.dnsRecord.status", "INSYNC"), build_output)
                       .otherwise(wait_for_dns.next(check_dns_change)))
        check_dns_change.next(dns_in_sync)
        upsert_dns.next(dns_in_sync)
        build_output.next(publish_ready).next(succeed)
        no_dns.next(build_output)
        dns = (sfn.Choice(self, "Dns?")
               .when(sfn.Condition.and_(sfn.Condition.is_present("$.request.hostedZoneId"),
                                        sfn.Condition.is_not_null("$.request.hostedZoneId")), upsert_dns)
               .otherwise(no_dns))
        remove_layer4.next(dns)
        keep_layer4.next(dns)
        layer4 = (sfn.Choice(self, "Layer4?")
                  .when(sfn.Condition.string_equals("$.request.layer4", "keep"), keep_layer4)
                  .otherwise(remove_layer4))
        verify_grpc.next(layer4)
        load_balancer_ready = (sfn.Choice(self, "LoadBalancerReady?")
                               .when(sfn.Condition.boolean_equals("$.loadBalancer.ready", True), verify_grpc)
                               .otherwise(wait_for_load_balancer.next(check_load_balancer)))
        return (sfn.Chain.start(validate).next(import_certificate).next(apply_ingress)
                .next(check_load_balancer).next(load_balancer_ready))

    def _invoke(self, name: str, payload: dict[str, object], *, result_path: str,
                result_selector: dict[str, object] | None = None,
                extra_retry: tuple[int, int] | None = None) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self, name,
            lambda_function=self._functions[name],
            payload=sfn.TaskInput.from_object({**payload, "correlationId.$": _EXECUTION_ID}),
            payload_response_only=True,
            retry_on_service_exceptions=False,  # replaced by the DESIGN.md retrier below
            result_selector=result_selector,
            result_path=result_path,
        )
        if extra_retry is not None and extra_retry[1] > 0:
            interval, attempts = extra_retry
            task.add_retry(errors=["VerificationFailed"], interval=Duration.seconds(interval),
                           max_attempts=attempts, backoff_rate=constants.RETRY_BACKOFF_RATE)
        task.add_retry(errors=list(constants.RETRYABLE_ERRORS),
                       interval=Duration.seconds(constants.RETRY_INTERVAL_SECONDS),
                       max_attempts=constants.RETRY_MAX_ATTEMPTS, backoff_rate=constants.RETRY_BACKOFF_RATE)
        task.add_catch(self._failure_start, errors=list(constants.CONTRACT_ERROR_NAMES), result_path="$.caught")
        task.add_catch(self._record_failure, errors=["States.ALL"], result_path="$.caught")
        return task

    def _publish(self, name: str, detail_type: str, detail: dict[str, object]) -> tasks.EventBridgePutEvents:
        """events:PutEvents on the default bus (no event_bus given)."""
        task = tasks.EventBridgePutEvents(
            self, name,
            entries=[tasks.EventBridgePutEventsEntry(
                detail=sfn.TaskInput.from_object(detail),
                detail_type=detail_type,
                source=constants.EVENT_SOURCE,
            )],
            result_path=sfn.JsonPath.DISCARD,
        )
        task.add_retry(errors=["States.TaskFailed"], interval=Duration.seconds(1), max_attempts=3,
                       backoff_rate=constants.RETRY_BACKOFF_RATE)
        return task

    # --- the failure path (module docstring) ----------------------------------

    def _build_failure_path(self) -> sfn.IChainable:
        explain = sfn.Pass(self, "ExplainFailure", result_path="$.failure", parameters={
            "error.$": "$.caught.Error",
            "lambdaError.$": "States.StringToJson($.caught.Cause)",
        })
        take_message = sfn.Pass(self, "TakeErrorMessage", result_path="$.failure", parameters={
            "error.$": "$.failure.error",
            "cause.$": "$.failure.lambdaError.errorMessage",
        })
        self._record_failure = sfn.Pass(self, "RecordFailure", result_path="$.failure", parameters={
            "error.$": "$.caught.Error",
            "cause.$": "$.caught.Cause",
        })
        publish_failed = self._publish("PublishFailed", constants.DETAIL_TYPE_FAILED, {
            "error.$": "$.failure.error",
            "cause.$": "$.failure.cause",
            "executionArn.$": _EXECUTION_ID,
        })
        failed = sfn.Fail(self, "Failed", error_path="$.failure.error", cause_path="$.failure.cause")
        publish_failed.next(failed)
        self._record_failure.next(publish_failed)
        explain.next(take_message).next(publish_failed)
        return explain
