"""The sandbox's AWS side: moto in this process, mended where the workflow needs it.

server.MotoSandbox runs moto's server and installs the mends:
lambda_runner (invocations run the deployed zip + layers in warm execution
environments, one process each: lambda_environments),
events_delivery (EventBridge rules start Step Functions executions),
sfn_fixes (startExecution.sync:2 parameter casing; CloudFormation state
machines in the interpreter's backend), cfn_models (Lambda properties and
resource types moto's CloudFormation lacks), eks (cluster pointing at the
Kubernetes stand-in). deploy.deploy_stack runs the real CDK CLI against it.
"""

from sandbox.aws.server import MotoSandbox

__all__ = ["MotoSandbox"]
