"""A throwaway CDK app exercising what moto must deploy: Lambda + layer + log group, state machine,
EventBridge rule (InputPath), EKS access entry, security group egress, dashboard."""

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks as eks
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

app = cdk.App()
stack = cdk.Stack(app, "TinyStack", env=cdk.Environment(account="123456789012", region="us-east-1"))
layer = lambda_.LayerVersion(stack, "Lib", code=lambda_.Code.from_asset("layer"),
                             compatible_runtimes=[lambda_.Runtime.PYTHON_3_11])
group = logs.LogGroup(stack, "FnLogs", retention=logs.RetentionDays.ONE_WEEK,
                      removal_policy=cdk.RemovalPolicy.DESTROY)
sg = ec2.CfnSecurityGroup(stack, "Sg", group_description="fn", vpc_id=app.node.try_get_context("vpcId"),
                          security_group_egress=[{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                                                  "cidrIp": "0.0.0.0/0"}])
ec2.CfnSecurityGroupEgress(stack, "Egress", group_id=sg.attr_group_id, ip_protocol="tcp", from_port=6443,
                           to_port=6443, cidr_ip="10.0.0.0/16")
fn = lambda_.Function(stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_11, handler="handler.lambda_handler",
                      code=lambda_.Code.from_asset("fn"), layers=[layer], log_group=group,
                      architecture=lambda_.Architecture.X86_64, timeout=cdk.Duration.seconds(10),
                      environment={"CLUSTER_NAME": "milvus-eks"})
invoke = tasks.LambdaInvoke(stack, "Invoke", lambda_function=fn, payload_response_only=True)
failed = sfn.Pass(stack, "Caught")
invoke.add_catch(failed, errors=["MyError"], result_path="$.failure")
sm = sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(invoke))
rule = events.Rule(stack, "Requested",
                   event_pattern=events.EventPattern(source=["tiny.app"], detail_type=["Requested"]))
rule.add_target(targets.SfnStateMachine(sm, input=events.RuleTargetInput.from_event_path("$.detail")))
assert fn.role is not None  # a Function given no role makes its own
eks.CfnAccessEntry(stack, "Access", cluster_name="milvus-eks", principal_arn=fn.role.role_arn,
                   access_policies=[{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                                     "accessScope": {"type": "namespace", "namespaces": ["milvus"]}}])
cw.Dashboard(stack, "Dash", widgets=[[cw.GraphWidget(left=[fn.metric_errors()])]])
cdk.CfnOutput(stack, "StateMachineArn", value=sm.state_machine_arn)
cdk.CfnOutput(stack, "FunctionName", value=fn.function_name)
cdk.CfnOutput(stack, "RuleArn", value=rule.rule_arn)
app.synth()
