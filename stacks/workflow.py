"""The setup state machine, exactly as docs/DESIGN.md "State data flow".

Order, so that Milvus is never unreachable: verify the Layer-7 path, then
(with DNS) point ``host`` at the ALB and wait until Route 53 is INSYNC and
the old record's TTL and the drain period have passed, and only then remove
the Layer-4 load balancer.

Each Lambda task is built by ``tasks.invoke`` (the function's return value is
the task result, its ``errorType`` the state's error), the state machine by
``tasks.state_machine``.

The failure path is ``failure_path.FailurePath``. Validate's catchers replace
the whole state with the error (ResultPath ``$``): the state then holds only
the input, which may be close to the 256 KiB payload limit or not an object
at all, and keeping it beside the error could end the run in
``States.DataLimitExceeded`` or ``States.Runtime``, which no Catch can catch.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import names, retries, timeouts
from stacks.failure_path import EXECUTION_ID, EXECUTION_START_TIME, FailurePath, publish
from stacks.run_lock import RunLockTable
from stacks.tasks import VERIFY_MAX_DELAY_SECONDS, invoke, setup_state_machine_name, state_machine

DNS_WAIT_SECONDS = 5
# What the state holds once the Dns? choice is reached (NoDns rebuilds it with dnsRecord = null).
STATE_KEYS_BEFORE_DNS = ("request", "certificate", "ingress", "loadBalancer", "verification")


class Workflow(Construct):
    """The Standard state machine that runs the steps and publishes the outcome."""

    def __init__(self, scope: Construct, construct_id: str, *, functions: dict[str, lambda_.IFunction],
                 verify_retry_interval_seconds: int, verify_max_attempts: int, run_lock: RunLockTable) -> None:
        super().__init__(scope, construct_id)
        self._functions = functions
        self._run_lock = run_lock
        self.verify_retry = retries.RetryPolicy(("VerificationFailed",), verify_retry_interval_seconds,
                                                verify_max_attempts, max_delay_seconds=VERIFY_MAX_DELAY_SECONDS,
                                                jitter=False)
        self.failure = FailurePath(self, "Failure", run_lock=run_lock)
        definition = self._build_definition()
        stack_name = Stack.of(self).stack_name
        self.timeout_seconds = timeouts.setup_timeout_seconds(self.verify_retry)
        self.state_machine, self.log_group = state_machine(
            self, name=setup_state_machine_name(stack_name), log_name=f"{stack_name}-Workflow",
            definition=definition, timeout_seconds=self.timeout_seconds,
            comment="milvus-layer7: put a Milvus on EKS behind an ALB (docs/CONTRACT.md)",
        )

    # --- the happy path -------------------------------------------------------

    def _build_definition(self) -> sfn.IChainable:
        validate = self._invoke("Validate", {"input.$": "$", "stateMachineArn.$": "$$.StateMachine.Id"},
                                result_path="$", result_selector={"request.$": "$"}, keeps_input=False)
        # The request as the host's recorded setup says (a renewal), or refused where it would replace the ALB.
        read_setup_record = self._invoke("ReadSetupRecord", {"request.$": "$.request"}, result_path="$.request")
        # The execution's start: a retry after a killed apply tells what this execution wrote from what was there
        # before it (the Ingress's managedFields time; DESIGN.md). ImportCertificate tags its imports with the
        # execution instead (its correlation id).
        started = {"executionStartTime.$": EXECUTION_START_TIME}
        import_certificate = self._invoke("ImportCertificate", {"request.$": "$.request"},
                                          result_path="$.certificate")
        apply_ingress = self._invoke("ApplyIngress", {"request.$": "$.request", "certificate.$": "$.certificate",
                                                      **started}, result_path="$.ingress")
        check_load_balancer = self._invoke("CheckLoadBalancer", {"request.$": "$.request", "ingress.$": "$.ingress"},
                                           result_path="$.loadBalancer")
        wait_for_load_balancer = sfn.Wait(self, "WaitForLoadBalancer",
                                          time=sfn.WaitTime.seconds_path("$.loadBalancer.waitSeconds"))
        verify_grpc = self._invoke("VerifyGrpc", {"request.$": "$.request", "certificate.$": "$.certificate",
                                                  "loadBalancer.$": "$.loadBalancer"},
                                   result_path="$.verification", extra_retry=self.verify_retry)
        upsert_dns = self._invoke("UpsertDns", {"request.$": "$.request", "loadBalancer.$": "$.loadBalancer"},
                                  result_path="$.dnsRecord")
        check_dns_change = self._invoke("CheckDnsChange", {"request.$": "$.request", "dnsRecord.$": "$.dnsRecord"},
                                        result_path="$.dnsRecord")
        wait_for_dns = sfn.Wait(self, "WaitForDns", time=sfn.WaitTime.duration(Duration.seconds(DNS_WAIT_SECONDS)))
        # The Pass "Result" field cannot carry a bare null through CDK, States.StringToJson('null') can.
        no_dns = sfn.Pass(self, "NoDns", result_path="$", parameters={
            **{f"{key}.$": f"$.{key}" for key in STATE_KEYS_BEFORE_DNS},
            "dnsRecord.$": "States.StringToJson('null')",
        })
        wait_for_drain = sfn.Wait(self, "WaitForDrain", time=sfn.WaitTime.seconds_path("$.dnsRecord.waitSeconds"))
        # Without a DNS change of its own, the workflow cannot know who dials the Layer-4 load balancer (its
        # name, DNS managed elsewhere): it says the ALB serves, then gives them layer4DrainSeconds to move.
        wait_for_layer4_drain = sfn.Wait(self, "WaitForLayer4Drain",
                                         time=sfn.WaitTime.seconds_path("$.request.layer4DrainSeconds"))
        publish_available = publish(self, "PublishEndpointAvailable", names.DETAIL_TYPE_AVAILABLE, {
            "host.$": "$.request.host",
            "loadBalancer": {"dnsName.$": "$.loadBalancer.dnsName", "listenPort.$": "$.loadBalancer.listenPort"},
            "service": {"name.$": "$.request.serviceName", "type.$": "$.ingress.serviceType"},
            "dnsRecord.$": "$.dnsRecord",
            "executionArn.$": EXECUTION_ID,
        })
        # Unannounced, the Layer-4 load balancer stays: the run fails with it in place.
        publish_available.add_catch(self.failure.record, errors=["States.ALL"], result_path="$.caught")
        remove_layer4 = self._invoke("RemoveLayer4", {"request.$": "$.request"}, result_path="$.service")
        keep_layer4 = sfn.Pass(self, "KeepLayer4", result_path="$.service", parameters={
            "name.$": "$.request.serviceName",
            "previousType.$": "$.ingress.serviceType",
            "type.$": "$.ingress.serviceType",
            "before.$": "States.StringToJson('null')",  # this run changed nothing
        })
        # The output goes beside the state (the release reads $.request.host); Succeed keeps only it.
        build_output = sfn.Pass(self, "BuildOutput", result_path="$.output", parameters={
            "certificateArn.$": "$.certificate.certificateArn",
            "certificateImported.$": "$.certificate.certificateImported",
            "loadBalancer": {"dnsName.$": "$.loadBalancer.dnsName", "arn.$": "$.loadBalancer.arn",
                             "listenPort.$": "$.loadBalancer.listenPort"},
            "ingress": {"namespace.$": "$.ingress.namespace", "name.$": "$.ingress.name",
                        "changed.$": "$.ingress.changed"},
            "service.$": "$.service",
            "verification": {"endpoint.$": "$.verification.endpoint",
                             "serverName.$": "$.verification.serverName",
                             "serverVersion.$": "$.verification.serverVersion",
                             "latencyMs.$": "$.verification.latencyMs",
                             "certificateFingerprintSha256.$": "$.verification.certificateFingerprintSha256",
                             "tlsVersion.$": "$.verification.tlsVersion"},
            "dnsRecord.$": "$.dnsRecord",
            "warnings.$": "$.ingress.warnings",
        })
        publish_ready = publish(self, "PublishReady", names.DETAIL_TYPE_READY, {
            **{f"{key}.$": f"$.output.{key}" for key in names.OUTPUT_KEYS},
            "executionArn.$": EXECUTION_ID,
        })
        succeed = sfn.Succeed(self, "Succeed", output_path="$.output")
        release = self._run_lock.release(self, "ReleaseRunLock", next_state=succeed)
        # The endpoint is live by now: a ready event that cannot be published does not fail the run,
        # the output says so instead.
        ready_not_published = sfn.Pass(self, "ReadyEventNotPublished", result_path="$.output.readyEventError",
                                       parameters={"error.$": "$.caught.Error", "cause.$": "$.caught.Cause"})
        publish_ready.add_catch(ready_not_published, errors=["States.ALL"], result_path="$.caught")
        ready_not_published.next(release)

        build_output.next(publish_ready).next(release)
        remove_layer4.next(build_output)
        keep_layer4.next(build_output)
        wait_for_drain.next(remove_layer4)
        wait_for_layer4_drain.next(remove_layer4)
        drain = (sfn.Choice(self, "Drain?")
                 .when(sfn.Condition.is_not_null("$.dnsRecord"), wait_for_drain)
                 .otherwise(wait_for_layer4_drain))
        publish_available.next(drain)
        # A Service already ClusterIP (a renewal, a rerun) has no Layer-4 load balancer to drain.
        layer4 = (sfn.Choice(self, "Layer4?")
                  .when(sfn.Condition.string_equals("$.request.layer4", "keep"), keep_layer4)
                  .when(sfn.Condition.string_equals("$.ingress.serviceType", "ClusterIP"), remove_layer4)
                  .otherwise(publish_available))
        no_dns.next(layer4)
        dns_in_sync = (sfn.Choice(self, "DnsInSync?")
                       .when(sfn.Condition.string_equals("$.dnsRecord.status", "INSYNC"), layer4)
                       .otherwise(wait_for_dns.next(check_dns_change)))
        check_dns_change.next(dns_in_sync)
        upsert_dns.next(dns_in_sync)
        dns = (sfn.Choice(self, "Dns?")
               .when(sfn.Condition.and_(sfn.Condition.is_present("$.request.hostedZoneId"),
                                        sfn.Condition.is_not_null("$.request.hostedZoneId")), upsert_dns)
               .otherwise(no_dns))
        verify_grpc.next(dns)
        load_balancer_ready = (sfn.Choice(self, "LoadBalancerReady?")
                               .when(sfn.Condition.boolean_equals("$.loadBalancer.ready", True), verify_grpc)
                               .otherwise(wait_for_load_balancer.next(check_load_balancer)))
        return (sfn.Chain.start(validate).next(read_setup_record).next(import_certificate).next(apply_ingress)
                .next(check_load_balancer).next(load_balancer_ready))

    def _invoke(self, name: str, payload: dict[str, object], *, result_path: str,
                result_selector: dict[str, object] | None = None,
                extra_retry: retries.RetryPolicy | None = None, keeps_input: bool = True) -> tasks.LambdaInvoke:
        return invoke(self, name, self._functions[name], payload, result_path=result_path, failure=self.failure,
                      result_selector=result_selector, extra_retry=extra_retry, keeps_input=keeps_input)
