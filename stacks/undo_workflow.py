"""The undo state machine, ``<stack>-Undo``: the Layer-4 load balancer back, the ALB away, Milvus reachable throughout.

Setup's order the other way round, each step only once the one before is
verified (docs/CONTRACT.md "The undo workflow"):

    ValidateUndo -> RestoreLayer4 -> [CheckLayer4 -> Wait]* -> VerifyLayer4 ->
    RestoreDns -> (with a record) [CheckDnsChange -> Wait]* -> the alias's TTL and layer7DrainSeconds ->
    DeleteIngress -> [CheckIngressDeleted -> Wait]* -> [DeleteCertificate -> Wait]* -> publish "Undo Completed"

so the ALB goes only after Milvus answers through the Layer-4 load balancer
and, where setup moved DNS, after ``host`` points back at it and the alias's
TTL has passed. A failure before DeleteIngress leaves the ALB serving; one
after it leaves the Layer-4 load balancer, verified. The failure path is
setup's (``FailurePath``) with the undo's own ``Outcome``: which load
balancers the run left serving, in the ``Milvus Layer7 Undo Failed`` event.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import names, retries, timeouts
from stacks.failure_path import EXECUTION_ID, EXECUTION_START_TIME, NULL, FailurePath, Outcome, publish
from stacks.run_lock import RunLockTable
from stacks.tasks import invoke, state_machine, undo_state_machine_name

DNS_WAIT_SECONDS = timeouts.DNS_POLL_WAIT_SECONDS


def balancers_outcome(parent: Construct) -> Outcome:
    """What serves Milvus after a failed undo: the further it got, the more the Layer-4 load balancer does."""
    after_deletion = sfn.Pass(parent, "Layer4AndIngressDeleted", result_path="$.failure.balancers", parameters={
        "layer4Address.$": "$.layer4.address", "layer4Verified": True, "ingressDeletionRequested": True})
    verified = sfn.Pass(parent, "Layer4VerifiedAlbServing", result_path="$.failure.balancers", parameters={
        "layer4Address.$": "$.layer4.address", "layer4Verified": True, "ingressDeletionRequested": False})
    restoring = sfn.Pass(parent, "AlbServing", result_path="$.failure.balancers", parameters={
        "layer4Address.$": NULL, "layer4Verified": False, "ingressDeletionRequested": False})
    nothing = sfn.Pass(parent, "NothingChanged", result_path="$.failure.balancers", parameters={
        "layer4Address.$": NULL, "layer4Verified": False, "ingressDeletionRequested": False})
    choice = (sfn.Choice(parent, "BalancersState?")
              .when(sfn.Condition.is_present("$.ingressDeletion"), after_deletion)
              .when(sfn.Condition.is_present("$.verification"), verified)
              .when(sfn.Condition.is_present("$.restore"), restoring)
              .otherwise(nothing))
    return Outcome(start=choice, ends=(after_deletion, verified, restoring, nothing), key="balancers")


class UndoWorkflow(Construct):
    """The Standard state machine that undoes a setup and publishes the outcome."""

    def __init__(self, scope: Construct, construct_id: str, *, functions: dict[str, lambda_.IFunction],
                 verify_retry: retries.RetryPolicy, run_lock: RunLockTable) -> None:
        super().__init__(scope, construct_id)
        self._functions = functions
        self._run_lock = run_lock
        self.verify_retry = verify_retry
        self.failure = FailurePath(self, "Failure", run_lock=run_lock, detail_type=names.DETAIL_TYPE_UNDO_FAILED,
                                   outcome=balancers_outcome)
        definition = self._build_definition()
        stack_name = Stack.of(self).stack_name
        self.timeout_seconds = timeouts.undo_timeout_seconds(verify_retry)
        self.state_machine, self.log_group = state_machine(
            self, name=undo_state_machine_name(stack_name), log_name=f"{stack_name}-Undo",
            definition=definition, timeout_seconds=self.timeout_seconds,
            comment="milvus-layer7 undo: back to the Layer-4 load balancer, the ALB away (docs/CONTRACT.md)",
        )

    def _build_definition(self) -> sfn.IChainable:
        request: dict[str, object] = {"request.$": "$.request"}
        validate = self._invoke("ValidateUndo", {"input.$": "$", "stateMachineArn.$": "$$.StateMachine.Id"},
                                result_path="$", keeps_input=False)
        restore = self._invoke("RestoreLayer4", {**request, "previousUndo.$": "$.previousUndo",
                                                 "managedCertificates.$": "$.managedCertificates",
                                                 "executionStartTime.$": EXECUTION_START_TIME},
                               result_path="$.restore")
        check_layer4 = self._invoke("CheckLayer4", {**request, "restore.$": "$.restore"}, result_path="$.layer4")
        wait_layer4 = sfn.Wait(self, "WaitForLayer4", time=sfn.WaitTime.seconds_path("$.layer4.waitSeconds"))
        verify = self._invoke("VerifyLayer4", {**request, "layer4.$": "$.layer4"}, result_path="$.verification",
                              extra_retry=self.verify_retry)
        restore_dns = self._invoke("RestoreDns", {**request, "restore.$": "$.restore", "layer4.$": "$.layer4"},
                                   result_path="$.dnsRecord")
        check_dns = self._invoke("CheckDnsChange", {**request, "dnsRecord.$": "$.dnsRecord"}, result_path="$.dnsRecord")
        wait_dns = sfn.Wait(self, "WaitForDns", time=sfn.WaitTime.duration(Duration.seconds(DNS_WAIT_SECONDS)))
        wait_drain = sfn.Wait(self, "WaitForDnsDrain", time=sfn.WaitTime.seconds_path("$.dnsRecord.waitSeconds"))
        delete_ingress = self._invoke("DeleteIngress", request, result_path="$.ingressDeletion")
        check_deleted = self._invoke("CheckIngressDeleted", {**request, "ingressDeletion.$": "$.ingressDeletion"},
                                     result_path="$.albRemoval")
        wait_alb = sfn.Wait(self, "WaitForAlbRemoval", time=sfn.WaitTime.seconds_path("$.albRemoval.waitSeconds"))
        # ACM's InUseBy lags the ALB's deletion: DeleteCertificate says done: false while a certificate of ours is
        # still listed, and is called again after waitSeconds, until its own budget from the first look passed.
        first_certificate_look = sfn.Pass(self, "CertificatesNotLookedAt", result_path="$.certificates",
                                          result=sfn.Result.from_object({}))
        delete_certificate = self._invoke("DeleteCertificate",
                                          {**request, "ingressDeletion.$": "$.ingressDeletion",
                                           "certificates.$": "$.certificates",
                                           "managedCertificates.$": "$.managedCertificates"},
                                          result_path="$.certificates")
        wait_certificates = sfn.Wait(self, "WaitForCertificatesUnused",
                                     time=sfn.WaitTime.seconds_path("$.certificates.waitSeconds"))
        # The output goes beside the state (the release reads $.request.host); Succeed keeps only it.
        build_output = sfn.Pass(self, "BuildUndoOutput", result_path="$.output", parameters={
            "service": {"name.$": "$.restore.name", "previousType.$": "$.restore.previousType",
                        "type.$": "$.restore.type", "restored.$": "$.restore.restored",
                        "address.$": "$.layer4.address"},
            "verification.$": "$.verification",
            "dnsRecord.$": "$.dnsRecord",
            "ingress": {"namespace.$": "$.ingressDeletion.namespace", "name.$": "$.ingressDeletion.name",
                        "deleted.$": "$.ingressDeletion.found",
                        "loadBalancerDnsName.$": "$.ingressDeletion.loadBalancerDnsName"},
            "certificates": {"deleted.$": "$.certificates.deleted", "kept.$": "$.certificates.kept"},
            "alreadyUndoneBy.$": "$.restore.alreadyUndoneBy",
            "warnings.$": "$.restore.warnings",
        })
        publish_completed = publish(self, "PublishUndoCompleted", names.DETAIL_TYPE_UNDO_COMPLETED, {
            **{f"{key}.$": f"$.output.{key}" for key in names.UNDO_OUTPUT_KEYS},
            "executionArn.$": EXECUTION_ID,
        })
        succeed = sfn.Succeed(self, "Succeed", output_path="$.output")
        release = self._run_lock.release(self, "ReleaseRunLock", next_state=succeed)
        # The undo is done by now: an event that cannot be published does not fail it, the output says so.
        not_published = sfn.Pass(self, "CompletedEventNotPublished", result_path="$.output.completedEventError",
                                 parameters={"error.$": "$.caught.Error", "cause.$": "$.caught.Cause"})
        publish_completed.add_catch(not_published, errors=["States.ALL"], result_path="$.caught")
        not_published.next(release)

        build_output.next(publish_completed).next(release)
        certificates_done = (sfn.Choice(self, "CertificatesDone?")
                             .when(sfn.Condition.boolean_equals("$.certificates.done", True), build_output)
                             .otherwise(wait_certificates.next(delete_certificate)))
        delete_certificate.next(certificates_done)
        first_certificate_look.next(delete_certificate)
        alb_removed = (sfn.Choice(self, "AlbRemoved?")
                       .when(sfn.Condition.boolean_equals("$.albRemoval.done", True), first_certificate_look)
                       .otherwise(wait_alb.next(check_deleted)))
        check_deleted.next(alb_removed)
        delete_ingress.next(check_deleted)
        wait_drain.next(delete_ingress)
        dns_in_sync = (sfn.Choice(self, "DnsInSync?")
                       .when(sfn.Condition.string_equals("$.dnsRecord.status", "INSYNC"), wait_drain)
                       .otherwise(wait_dns.next(check_dns)))
        check_dns.next(dns_in_sync)
        dns_restored = (sfn.Choice(self, "DnsRestored?")
                        .when(sfn.Condition.is_null("$.dnsRecord"), delete_ingress)
                        .otherwise(dns_in_sync))
        restore_dns.next(dns_restored)
        verify.next(restore_dns)
        layer4_ready = (sfn.Choice(self, "Layer4Ready?")
                        .when(sfn.Condition.boolean_equals("$.layer4.ready", True), verify)
                        .otherwise(wait_layer4.next(check_layer4)))
        check_layer4.next(layer4_ready)
        return sfn.Chain.start(validate).next(restore).next(check_layer4)

    def _invoke(self, name: str, payload: dict[str, object], *, result_path: str,
                extra_retry: retries.RetryPolicy | None = None, keeps_input: bool = True) -> tasks.LambdaInvoke:
        return invoke(self, name, self._functions[name], payload, result_path=result_path, failure=self.failure,
                      extra_retry=extra_retry, keeps_input=keeps_input)
