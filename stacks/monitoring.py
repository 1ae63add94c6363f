"""What an operator watches: a dashboard, the alarms, and ACM's expiry events.

The workflow runs rarely, so the alarms watch outcomes rather than rates: an
execution that failed, timed out or was stopped part-way, an event that could
not start the workflow (a rule's FailedInvocations, anything in the rules'
dead-letter queue), with ``driftCheckSchedule`` a scheduled drift check that found something or failed,
and a certificate close to expiry as
ImportCertificate last saw it (``CertificateDaysUntilExpiry``; missing data is
normal between executions and never breaches). A run that succeeded but came
close to a limit alarms too: an ALB that took most of the default
``albTimeoutSeconds`` (``AlbWaitSeconds``), a verification that took half the
default ``verify.timeoutSeconds`` (``VerificationSeconds``), a setup over an
hour end to end (Step Functions' own ``ExecutionTime``: the run's last states
are EventBridge and DynamoDB tasks, no Lambda sees its end), and a renewal that
replaced a certificate with less than a week left
(``ReplacedCertificateDaysLeft``). Runs per outcome are Step Functions'
``ExecutionsSucceeded`` / ``ExecutionsFailed``. ACM never renews an imported
certificate, and the metric only exists when an execution runs, so ACM's own
``ACM Certificate Approaching Expiration`` event (sent daily from 45 days
before expiry) is forwarded too: an operator hears of it with no execution.

Notifications go to one SNS topic: created with an e-mail subscription for
context ``alarmEmail``, or an existing one for ``alarmTopicArn``; with neither,
the alarms exist without actions and no expiry rule is made (nobody to tell).

The created topic is encrypted with a customer-managed key, not the AWS-managed
``alias/aws/sns``: that key's policy cannot be changed and lets neither
CloudWatch alarms nor EventBridge encrypt, so they could never publish. Its
policy lets exactly those two services use it, for this account only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks import names
from stacks.triggers import MAX_EVENT_AGE, RETRY_ATTEMPTS

_CLOUDWATCH = "cloudwatch.amazonaws.com"
CERTIFICATE_ALARM_DAYS = 30
# Two thirds of the default albTimeoutSeconds (lambdas/layer7/input_checks.py, 900 s): past it, a run with the
# defaults is close to failing with LoadBalancerTimeout.
ALB_WAIT_ALARM_SECONDS = 600
# Half the default verify.timeoutSeconds (lambdas/layer7/models.py VerifySettings, 120 s).
VERIFICATION_ALARM_SECONDS = 60
# A setup end to end: minutes with the defaults (ALB, DNS, the drain); an hour means its waits ran near their bounds.
RUN_ALARM_SECONDS = 3600
# A renewal that replaced a certificate with fewer days left than this came late (ACM warns from 45 days).
RENEWAL_ALARM_DAYS = 7
_EXECUTION_PERIOD = Duration.minutes(5)
# ImportCertificate reports at most once per execution: a day of data per point.
_CERTIFICATE_PERIOD = Duration.days(1)


def custom_metric(name: str, *, namespace: str, statistic: str, period: Duration,
                  label: str | None = None) -> cloudwatch.Metric:
    """One of the Lambdas' EMF metrics, in the stack's namespace (names.metrics_namespace), with exactly the
    dimension Powertools writes.

    No unit: an alarm with a unit ignores data points written with another one."""
    return cloudwatch.Metric(namespace=namespace, metric_name=name,
                             dimensions_map=dict(names.METRIC_DIMENSIONS),
                             statistic=statistic, period=period, label=label)


class Monitoring(Construct):
    """Dashboard, alarms and the optional notification topic for one workflow."""

    def __init__(self, scope: Construct, construct_id: str, *, state_machine: sfn.IStateMachine,
                 functions: dict[str, lambda_.IFunction], alarm_email: str | None = None,
                 alarm_topic_arn: str | None = None, rules: Sequence[events.IRule] = (),
                 dead_letter_queue: sqs.IQueue | None = None,
                 undo_state_machine: sfn.IStateMachine | None = None,
                 drift_state_machine: sfn.IStateMachine | None = None) -> None:
        super().__init__(scope, construct_id)
        self._prefix = Stack.of(self).stack_name
        self._namespace = names.metrics_namespace(self._prefix)
        self.topic = self._build_topic(alarm_email, alarm_topic_arn)
        self.alarms = self._build_alarms(state_machine)
        if undo_state_machine is not None:
            self.alarms.update(self._build_undo_alarms(undo_state_machine))
        self.alarms.update(self._build_trigger_alarms(rules, dead_letter_queue))
        if drift_state_machine is not None:
            self.alarms.update(self._build_drift_alarms(drift_state_machine))
        if self.topic is not None:
            action = cloudwatch_actions.SnsAction(self.topic)
            for alarm in self.alarms.values():
                alarm.add_alarm_action(action)
            self.expiry_rule: events.Rule | None = self._build_expiry_rule(self.topic, dead_letter_queue)
        else:
            self.expiry_rule = None
        self.dashboard = self._build_dashboard(state_machine, functions, undo_state_machine)

    # --- notifications --------------------------------------------------------

    def _build_topic(self, alarm_email: str | None, alarm_topic_arn: str | None) -> sns.ITopic | None:
        if alarm_topic_arn:
            # Its policies are the owner's: README says what they must allow.
            return sns.Topic.from_topic_arn(self, "AlarmTopic", alarm_topic_arn)
        if not alarm_email:
            return None
        account = Stack.of(self).account
        key = kms.Key(self, "AlarmTopicKey", enable_key_rotation=True, removal_policy=RemovalPolicy.DESTROY,
                      description="milvus-layer7 alarm topic: CloudWatch alarms and EventBridge may encrypt")
        # EventBridge's use of the key is granted by the SnsTopic target itself.
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(_CLOUDWATCH)],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],  # in a key policy, "*" is this key
            conditions={"StringEquals": {"aws:SourceAccount": account}},
        ))
        topic = sns.Topic(self, "AlarmTopic", display_name="milvus-layer7 alarms", master_key=key,
                          enforce_ssl=True)
        # A topic policy replaces SNS's default owner-only one: say who publishes.
        topic.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(_CLOUDWATCH)],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": account}},
        ))
        topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        return topic

    def _build_expiry_rule(self, topic: sns.ITopic, dead_letter_queue: sqs.IQueue | None) -> events.Rule:
        """ACM's warning to the topic, with the other rules' retries and dead-letter queue: a topic that refuses
        EventBridge (an alarmTopicArn whose policy leaves events.amazonaws.com out) fills the queue, whose alarm
        goes off, instead of dropping the warning unseen."""
        rule = events.Rule(
            self, "CertificateExpiringRule",
            description="Forward ACM's daily 'certificate approaching expiration' events to the alarm topic",
            event_pattern=events.EventPattern(source=[names.ACM_EVENT_SOURCE],
                                              detail_type=[names.ACM_DETAIL_TYPE_EXPIRING]),
        )
        rule.add_target(targets.SnsTopic(topic, dead_letter_queue=dead_letter_queue, retry_attempts=RETRY_ATTEMPTS,
                                         max_event_age=MAX_EVENT_AGE, message=events.RuleTargetInput.from_text(
            f"ACM certificate {events.EventField.from_path('$.resources[0]')} "
            f"({events.EventField.from_path('$.detail.CommonName')}) expires in "
            f"{events.EventField.from_path('$.detail.DaysToExpiry')} days. ACM does not renew imported "
            f"certificates: put the new PEMs into the certificate secret and start the milvus-layer7 workflow.")))
        return rule

    # --- alarms -----------------------------------------------------------------

    def _build_alarms(self, state_machine: sfn.IStateMachine) -> dict[str, cloudwatch.Alarm]:
        at_least_once: dict[str, Any] = {"threshold": 1, "evaluation_periods": 1,
                         "comparison_operator": cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                         "treat_missing_data": cloudwatch.TreatMissingData.NOT_BREACHING}
        return {
            "ExecutionsFailed": cloudwatch.Alarm(
                self, "ExecutionsFailedAlarm", alarm_name=f"{self._prefix}-ExecutionsFailed",
                alarm_description="A milvus-layer7 execution failed; its error names the cause (README "
                                  "'Errors and what to do'). Its 'Milvus Layer7 Setup Failed' event says what "
                                  "became of the Service (service.type, service.changedByThisRun).",
                metric=state_machine.metric_failed(period=_EXECUTION_PERIOD, statistic="Sum"), **at_least_once),
            "ExecutionsAborted": cloudwatch.Alarm(
                self, "ExecutionsAbortedAlarm", alarm_name=f"{self._prefix}-ExecutionsAborted",
                alarm_description="A milvus-layer7 execution was stopped part-way (by a person, or by a parent "
                                  "pipeline that gave up): it published no event. Look at its last state before "
                                  "starting it again.",
                metric=state_machine.metric_aborted(period=_EXECUTION_PERIOD, statistic="Sum"), **at_least_once),
            "ExecutionsTimedOut": cloudwatch.Alarm(
                self, "ExecutionsTimedOutAlarm", alarm_name=f"{self._prefix}-ExecutionsTimedOut",
                alarm_description="A milvus-layer7 execution hit the state machine's timeout.",
                metric=state_machine.metric_timed_out(period=_EXECUTION_PERIOD, statistic="Sum"),
                **at_least_once),
            "CertificateExpiring": cloudwatch.Alarm(
                self, "CertificateExpiringAlarm", alarm_name=f"{self._prefix}-CertificateExpiring",
                alarm_description=f"The certificate an execution imported expires in fewer than "
                                  f"{CERTIFICATE_ALARM_DAYS} days; ACM never renews imported "
                                  f"certificates (README 'Certificate rotation').",
                metric=custom_metric(names.METRIC_CERTIFICATE_DAYS, namespace=self._namespace,
                                     statistic="Minimum", period=_CERTIFICATE_PERIOD),
                threshold=CERTIFICATE_ALARM_DAYS, evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING),
            **self._build_close_call_alarms(state_machine),
        }

    def _build_close_call_alarms(self, state_machine: sfn.IStateMachine) -> dict[str, cloudwatch.Alarm]:
        """A run that got through but near a limit: the ALB, the verification, the whole run, a late renewal."""
        at_or_above: dict[str, Any] = {
            "evaluation_periods": 1,
            "comparison_operator": cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            "treat_missing_data": cloudwatch.TreatMissingData.NOT_BREACHING}
        return {
            "AlbWaitLong": cloudwatch.Alarm(
                self, "AlbWaitLongAlarm", alarm_name=f"{self._prefix}-AlbWaitLong",
                alarm_description=f"An ALB took {ALB_WAIT_ALARM_SECONDS} s or more to be ready (active, a healthy "
                                  "target): runs with the default albTimeoutSeconds (900) are close to failing "
                                  "with LoadBalancerTimeout. Look at the target group's health checks and the "
                                  "controller's events on the Ingress.",
                metric=custom_metric(names.METRIC_ALB_WAIT, namespace=self._namespace, statistic="Maximum",
                                     period=_EXECUTION_PERIOD),
                threshold=ALB_WAIT_ALARM_SECONDS, **at_or_above),
            "VerificationSlow": cloudwatch.Alarm(
                self, "VerificationSlowAlarm", alarm_name=f"{self._prefix}-VerificationSlow",
                alarm_description=f"A verification of Milvus (VerifyGrpc or VerifyLayer4) took "
                                  f"{VERIFICATION_ALARM_SECONDS} s or more, half the default "
                                  "verify.timeoutSeconds: Milvus or the path to it is slow.",
                metric=custom_metric(names.METRIC_VERIFICATION_SECONDS, namespace=self._namespace, statistic="Maximum",
                                     period=_EXECUTION_PERIOD),
                threshold=VERIFICATION_ALARM_SECONDS, **at_or_above),
            "ExecutionSlow": cloudwatch.Alarm(
                self, "ExecutionSlowAlarm", alarm_name=f"{self._prefix}-ExecutionSlow",
                alarm_description=f"A milvus-layer7 setup took {RUN_ALARM_SECONDS // 60} minutes or more end to "
                                  "end (Step Functions' ExecutionTime): its history shows which wait was long.",
                metric=state_machine.metric_time(period=_EXECUTION_PERIOD, statistic="Maximum"),
                threshold=RUN_ALARM_SECONDS * 1000, **at_or_above),  # ExecutionTime is in milliseconds
            "CertificateRenewedLate": cloudwatch.Alarm(
                self, "CertificateRenewedLateAlarm", alarm_name=f"{self._prefix}-CertificateRenewedLate",
                alarm_description=f"A renewal replaced a certificate that had fewer than {RENEWAL_ALARM_DAYS} "
                                  "days left (or had expired): renew earlier (README 'Certificate rotation').",
                metric=custom_metric(names.METRIC_REPLACED_CERTIFICATE_DAYS, namespace=self._namespace,
                                     statistic="Minimum",
                                     period=_CERTIFICATE_PERIOD),
                threshold=RENEWAL_ALARM_DAYS, evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING),
        }

    def _build_undo_alarms(self, machine: sfn.IStateMachine) -> dict[str, cloudwatch.Alarm]:
        """An undo that failed, was stopped or timed out: its event says which load balancer serves Milvus."""
        at_least_once: dict[str, Any] = {"threshold": 1, "evaluation_periods": 1,
                         "comparison_operator": cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                         "treat_missing_data": cloudwatch.TreatMissingData.NOT_BREACHING}
        metrics = {"Failed": machine.metric_failed, "Aborted": machine.metric_aborted,
                   "TimedOut": machine.metric_timed_out}
        return {
            f"UndoExecutions{what}": cloudwatch.Alarm(
                self, f"UndoExecutions{what}Alarm", alarm_name=f"{self._prefix}-UndoExecutions{what}",
                alarm_description=f"A milvus-layer7 undo execution {what.lower()}; its 'Milvus Layer7 Undo "
                                  "Failed' event (balancers) says which load balancer serves Milvus.",
                metric=metric(period=_EXECUTION_PERIOD, statistic="Sum"), **at_least_once)
            for what, metric in metrics.items()
        }

    def _build_trigger_alarms(self, rules: Sequence[events.IRule],
                              dead_letter_queue: sqs.IQueue | None) -> dict[str, cloudwatch.Alarm]:
        """An event that could not start the workflow: a rule's FailedInvocations, or anything in the DLQ."""
        alarms: dict[str, cloudwatch.Alarm] = {}
        at_least_once: dict[str, Any] = {
            "threshold": 1, "evaluation_periods": 1,
            "comparison_operator": cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            "treat_missing_data": cloudwatch.TreatMissingData.NOT_BREACHING}
        failed = [cloudwatch.Metric(namespace="AWS/Events", metric_name="FailedInvocations",
                                    dimensions_map={"RuleName": rule.rule_name}, statistic="Sum",
                                    period=_EXECUTION_PERIOD) for rule in rules]
        if failed:
            alarms["TriggerFailed"] = cloudwatch.Alarm(
                self, "TriggerFailedAlarm", alarm_name=f"{self._prefix}-TriggerFailed",
                alarm_description="An event matched a milvus-layer7 rule but EventBridge could not start the "
                                  "workflow; the event is in the rules' dead-letter queue, with the error.",
                metric=cloudwatch.MathExpression(
                    expression=" + ".join(f"FILL(m{index}, 0)" for index in range(len(failed))),
                    using_metrics={f"m{index}": metric for index, metric in enumerate(failed)},
                    period=_EXECUTION_PERIOD, label="failed invocations"),
                **at_least_once)
        if dead_letter_queue is not None:
            alarms["TriggerDeadLetters"] = cloudwatch.Alarm(
                self, "TriggerDeadLettersAlarm", alarm_name=f"{self._prefix}-TriggerDeadLetters",
                alarm_description="Events that never started the workflow wait in the dead-letter queue "
                                  "(message attributes ERROR_CODE and ERROR_MESSAGE say why).",
                metric=dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=_EXECUTION_PERIOD, statistic="Maximum"),
                **at_least_once)
        return alarms

    def _build_drift_alarms(self, machine: sfn.IStateMachine) -> dict[str, cloudwatch.Alarm]:
        """The scheduled drift check found something (any kind), or could not check.

        ``DriftFindings`` is one metric per kind (dimension ``kind``): a Metrics Insights query adds up every
        kind, so a kind added later needs no new alarm (a math expression of plain metrics would have to name
        each, at most ten). One notification per scheduled check that finds drift, until it is repaired."""
        at_least_once: dict[str, Any] = {
            "threshold": 1, "evaluation_periods": 1,
            "comparison_operator": cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            "treat_missing_data": cloudwatch.TreatMissingData.NOT_BREACHING}
        dimensions = ", ".join([names.METRIC_DRIFT_KIND_DIMENSION, *names.METRIC_DIMENSIONS])
        # A Metrics Insights query (CloudWatch's SQL), of our own names only.
        query = f"SELECT SUM({names.METRIC_DRIFT_FINDINGS}) FROM SCHEMA(\"{self._namespace}\", {dimensions})"  # noqa: S608
        return {
            "DriftDetected": cloudwatch.Alarm(
                self, "DriftDetectedAlarm", alarm_name=f"{self._prefix}-DriftDetected",
                alarm_description="The scheduled drift check found a host that no longer matches its recorded "
                                  "setup; its 'Milvus Layer7 Drift Detected' event lists each finding with what "
                                  "to do (README 'Helm drift').",
                metric=cloudwatch.MathExpression(expression=query, period=_EXECUTION_PERIOD, label="drift findings"),
                **at_least_once),
            "DriftCheckFailed": cloudwatch.Alarm(
                self, "DriftCheckFailedAlarm", alarm_name=f"{self._prefix}-DriftCheckFailed",
                alarm_description="A scheduled drift check failed or timed out: drift may go unseen. Its "
                                  "execution's failed state names the host and the error.",
                metric=cloudwatch.MathExpression(
                    expression="FILL(failed, 0) + FILL(timedOut, 0)",
                    using_metrics={"failed": machine.metric_failed(period=_EXECUTION_PERIOD, statistic="Sum"),
                                   "timedOut": machine.metric_timed_out(period=_EXECUTION_PERIOD,
                                                                        statistic="Sum")},
                    period=_EXECUTION_PERIOD, label="failed checks"),
                **at_least_once),
        }

    # --- dashboard --------------------------------------------------------------

    def _build_dashboard(self, state_machine: sfn.IStateMachine, functions: dict[str, lambda_.IFunction],
                         undo_state_machine: sfn.IStateMachine | None = None) -> cloudwatch.Dashboard:
        period = _EXECUTION_PERIOD
        machines = [("", state_machine)] + ([("undo ", undo_state_machine)] if undo_state_machine else [])
        executions = cloudwatch.GraphWidget(
            title="Executions", width=12, left=[
                metric
                for prefix, machine in machines
                for metric in (
                    machine.metric_started(period=period, statistic="Sum", label=f"{prefix}started"),
                    machine.metric_succeeded(period=period, statistic="Sum", label=f"{prefix}succeeded"),
                    machine.metric_failed(period=period, statistic="Sum", label=f"{prefix}failed"),
                    machine.metric_timed_out(period=period, statistic="Sum", label=f"{prefix}timed out"),
                    machine.metric_aborted(period=period, statistic="Sum", label=f"{prefix}aborted"),
                )
            ])
        lambda_errors = cloudwatch.GraphWidget(
            title="Step errors (Lambda)", width=12,
            left=[function.metric_errors(period=period, statistic="Sum", label=name)
                  for name, function in functions.items()])
        alb_wait = cloudwatch.GraphWidget(
            title="ALB wait until ready (s)", width=8, left=[
                custom_metric(names.METRIC_ALB_WAIT, namespace=self._namespace, statistic=stat,
                              period=period, label=stat) for stat in ("Average", "Maximum")],
            left_annotations=[cloudwatch.HorizontalAnnotation(value=ALB_WAIT_ALARM_SECONDS, label="alarm")])
        run_time = cloudwatch.GraphWidget(
            title="Run end to end (ms, Step Functions' ExecutionTime)", width=12, left=[
                machine.metric_time(period=period, statistic="Maximum", label=f"{prefix or 'setup '}Maximum")
                for prefix, machine in machines],
            left_annotations=[cloudwatch.HorizontalAnnotation(value=RUN_ALARM_SECONDS * 1000, label="alarm")])
        renewals = cloudwatch.GraphWidget(
            title="Days the replaced certificate had left (per renewal)", width=12,
            left=[custom_metric(names.METRIC_REPLACED_CERTIFICATE_DAYS, namespace=self._namespace, statistic="Minimum",
                                period=_CERTIFICATE_PERIOD, label="days left when replaced")],
            left_annotations=[cloudwatch.HorizontalAnnotation(value=RENEWAL_ALARM_DAYS, label="alarm")])
        latency = cloudwatch.GraphWidget(
            title="Verification (s), its gRPC answer (ms)", width=8, left=[
                custom_metric(names.METRIC_VERIFICATION_SECONDS, namespace=self._namespace, statistic=stat,
                              period=period, label=f"{stat} s")
                for stat in ("Average", "Maximum")], right=[
                custom_metric(names.METRIC_VERIFICATION_LATENCY, namespace=self._namespace, statistic="Maximum",
                              period=period,
                              label="gRPC answer, Maximum ms")],
            left_annotations=[cloudwatch.HorizontalAnnotation(value=VERIFICATION_ALARM_SECONDS, label="alarm")])
        certificate = cloudwatch.GraphWidget(
            title="Certificate days until expiry", width=8,
            left=[custom_metric(names.METRIC_CERTIFICATE_DAYS, namespace=self._namespace, statistic="Minimum",
                                period=_CERTIFICATE_PERIOD, label="days left")],
            left_annotations=[cloudwatch.HorizontalAnnotation(value=CERTIFICATE_ALARM_DAYS,
                                                              label="alarm")])
        status = cloudwatch.AlarmStatusWidget(title="Alarms", width=24, alarms=list(self.alarms.values()))
        return cloudwatch.Dashboard(
            self, "Dashboard",
            dashboard_name=f"{self._prefix}-{Stack.of(self).region}",
            widgets=[[status], [executions, lambda_errors], [alb_wait, latency, certificate], [run_time, renewals]],
        )
