"""The sandbox's AWS side: moto in this process (server.MotoSandbox), mended where the workflow needs it.

Each module mends one gap and says which; deploy.deploy_stack runs the real CDK CLI against it.
"""

from sandbox.aws.server import MotoSandbox

__all__ = ["MotoSandbox"]
