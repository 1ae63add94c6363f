"""The functions' environment, one model for both sides: the stack writes it, the handlers read it.

``stacks/functions.py`` builds a ``FunctionEnvironment`` from the stack's configuration and writes
``to_environment()`` into every function (docs/DESIGN.md, "Function environment"); a handler reads it back with
``FunctionEnvironment.from_environment()``. Only the standard library here: the CDK app loads this module
(stacks/runtime.py).

The run lock's two variables stay with the lock's table (``layer7/run_lock_table.py``: ``TABLE_VARIABLE``,
``HOLD_VARIABLE``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_NAMESPACE = "milvus"
DEFAULT_LISTEN_PORT = 443
DEFAULT_SERVICE_PORT = 19530  # Milvus's gRPC port: the Service's, and the Layer-4 load balancer's

RELATED_STATE_MACHINE_ARNS = "RELATED_STATE_MACHINE_ARNS"


def zone_id(value: str) -> str:
    """A hosted zone id without the ``/hostedzone/`` prefix Route 53 answers with (callers paste either form)."""
    return value.strip().removeprefix("/hostedzone/")


def _joined(values: tuple[object, ...]) -> str:
    return ",".join(str(value) for value in values)


def _items(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _ports(text: str) -> tuple[int, ...]:
    return tuple(int(item) for item in _items(text) if item.isdigit())


@dataclass(frozen=True)
class FunctionEnvironment:
    """What the stack was deployed with, as every function sees it."""

    cluster_name: str = ""
    namespace: str = DEFAULT_NAMESPACE
    host: str = ""
    certificate_secret_arn: str = ""
    hosted_zone_id: str = ""
    # Lambda's own (a reserved variable, AWS_REGION): read, never written by the stack.
    region: str = ""
    # The ports the functions' security group lets them reach the ALB on (context albListenPorts).
    listen_ports: tuple[int, ...] = (DEFAULT_LISTEN_PORT,)
    # Where the functions run (context privateSubnetIds); empty outside a VPC.
    subnet_ids: tuple[str, ...] = ()
    # The ports the security group lets the undo's VerifyLayer4 reach the Layer-4 load balancer on (layer4Ports).
    layer4_ports: tuple[int, ...] = (DEFAULT_SERVICE_PORT,)
    # With dns: the one record name the stack's grant may change (context host with hostedZoneId), if set.
    dns_record_name: str = ""
    # Powertools reads these two itself (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE).
    service_name: str = ""
    metrics_namespace: str = ""
    # ValidateUndo only: both workflows' state machines, whose past executions tell "already undone".
    related_state_machine_arns: tuple[str, ...] = ()
    # The CloudFormation stack's name (context stackName): an input naming another stack is refused.
    stack_name: str = ""

    def to_environment(self) -> dict[str, str]:
        """The variables as the stack writes them; RELATED_STATE_MACHINE_ARNS only when there are any."""
        environment = {
            "CLUSTER_NAME": self.cluster_name,
            "STACK_NAME": self.stack_name,
            "DEFAULT_NAMESPACE": self.namespace,
            "DEFAULT_HOST": self.host,
            "DEFAULT_CERTIFICATE_SECRET_ARN": self.certificate_secret_arn,
            "HOSTED_ZONE_ID": self.hosted_zone_id,
            "ALB_LISTEN_PORTS": _joined(self.listen_ports),
            "LAYER4_PORTS": _joined(self.layer4_ports),
            "FUNCTION_SUBNET_IDS": _joined(self.subnet_ids),
            "DNS_RECORD_NAME": self.dns_record_name,
            "POWERTOOLS_SERVICE_NAME": self.service_name,
            "POWERTOOLS_METRICS_NAMESPACE": self.metrics_namespace,
        }
        if self.related_state_machine_arns:
            environment[RELATED_STATE_MACHINE_ARNS] = _joined(self.related_state_machine_arns)
        return environment

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> FunctionEnvironment:
        """The model from a function's environment (``os.environ`` unless given); an empty or missing value is
        the field's default."""
        env = os.environ if environ is None else environ
        return cls(
            cluster_name=env.get("CLUSTER_NAME", "").strip(),
            stack_name=env.get("STACK_NAME", "").strip(),
            namespace=env.get("DEFAULT_NAMESPACE", "").strip() or DEFAULT_NAMESPACE,
            host=env.get("DEFAULT_HOST", "").strip(),
            certificate_secret_arn=env.get("DEFAULT_CERTIFICATE_SECRET_ARN", "").strip(),
            hosted_zone_id=zone_id(env.get("HOSTED_ZONE_ID", "")),
            region=env.get("AWS_REGION", "").strip(),
            listen_ports=_ports(env.get("ALB_LISTEN_PORTS", "")) or (DEFAULT_LISTEN_PORT,),
            subnet_ids=_items(env.get("FUNCTION_SUBNET_IDS", "")),
            layer4_ports=_ports(env.get("LAYER4_PORTS", "")) or (DEFAULT_SERVICE_PORT,),
            dns_record_name=env.get("DNS_RECORD_NAME", "").strip().lower(),
            service_name=env.get("POWERTOOLS_SERVICE_NAME", "").strip(),
            metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE", "").strip(),
            related_state_machine_arns=_items(env.get(RELATED_STATE_MACHINE_ARNS, "")),
        )

    def other_state_machines(self, own: str) -> list[str]:
        """The related state machines but ``own`` (the one running the caller): ValidateUndo's setup machines."""
        return [arn for arn in self.related_state_machine_arns if arn != own]
