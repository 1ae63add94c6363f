"""The workflow's steps: one entry per Lambda, whose name is the state's, the function's and its folder's.

docs/DESIGN.md "Lambda entry points" is this table in prose.
"""

from __future__ import annotations

from dataclasses import dataclass

LAYER_NAMES = ("common", "kubernetes", "milvus")
# The layer budget: code plus layers, unzipped, per function (Lambda allows 250 MB; headroom for growth).
FUNCTION_SIZE_BUDGET_BYTES = 150 * 1024 * 1024


@dataclass(frozen=True)
class StepSpec:
    """One workflow step: its state name, handler, layers and sizing."""

    name: str
    handler: str
    layers: tuple[str, ...]
    timeout_seconds: int = 60
    memory_mb: int = 256
    # The Kubernetes group its role is mapped to (stacks/rbac.py says what each may do); None: no Kubernetes calls.
    kubernetes_group: str | None = None

    @property
    def calls_kubernetes(self) -> bool:
        return self.kubernetes_group is not None


# Groups in the Kubernetes RBAC sense: the access entries' kubernetesGroups, the RoleBindings' subjects.
WRITERS = "milvus-layer7-writers"
READERS = "milvus-layer7-readers"

STEPS: tuple[StepSpec, ...] = (
    StepSpec("Validate", "validate.handler.lambda_handler", ("common",), timeout_seconds=30),
    StepSpec("ImportCertificate", "import_certificate.handler.lambda_handler", ("common",)),
    StepSpec("ApplyIngress", "apply_ingress.handler.lambda_handler", ("common", "kubernetes"),
             kubernetes_group=WRITERS),
    # Only reads: the Ingress's status and its events.
    StepSpec("CheckLoadBalancer", "check_load_balancer.handler.lambda_handler", ("common", "kubernetes"),
             kubernetes_group=READERS),
    # verify.timeoutSeconds may be up to 900 s: the function must outlive it.
    StepSpec("VerifyGrpc", "verify_grpc.handler.lambda_handler", ("common", "milvus"),
             timeout_seconds=900, memory_mb=1024),
    # Reads the host's records, and records what it replaces on the Ingress before changing them.
    StepSpec("UpsertDns", "upsert_dns.handler.lambda_handler", ("common", "kubernetes"),
             kubernetes_group=WRITERS),
    StepSpec("CheckDnsChange", "check_dns_change.handler.lambda_handler", ("common",)),
    StepSpec("RemoveLayer4", "remove_layer4.handler.lambda_handler", ("common", "kubernetes"),
             kubernetes_group=WRITERS),
)
STEP_NAMES = tuple(step.name for step in STEPS)
