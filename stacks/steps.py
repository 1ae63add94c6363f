"""The workflows' steps: one entry per Lambda, whose name is the state's, the function's and its folder's.

docs/DESIGN.md "Lambda entry points" is this table in prose. ``workflows``
says which state machines run the step (CheckDnsChange polls a Route 53
change for both; CheckDrift is invoked directly, and by the drift state machine when a schedule is
configured); ``kubernetes_group`` the Kubernetes group its role is in, whose verbs stacks/rbac.py lists.
"""

from __future__ import annotations

from dataclasses import dataclass

LAYER_NAMES = ("common", "milvus")
# The layer budget: code plus layers, unzipped, per function (Lambda allows 250 MB; headroom for growth).
FUNCTION_SIZE_BUDGET_BYTES = 150 * 1024 * 1024
SETUP, UNDO, DRIFT = "setup", "undo", "drift"


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
    workflows: tuple[str, ...] = (SETUP,)

    @property
    def calls_kubernetes(self) -> bool:
        return self.kubernetes_group is not None


# Groups in the Kubernetes RBAC sense: the access entries' kubernetesGroups, the RoleBindings' subjects.
WRITERS = "milvus-layer7-writers"
READERS = "milvus-layer7-readers"
# The undo's: it deletes the Ingress and patches the Service back, and reads the Service and its Events.
UNDO_WRITERS = "milvus-layer7-undo-writers"
UNDO_READERS = "milvus-layer7-undo-readers"

# The Kubernetes steps need no layer of their own: layer7/kube.py speaks the API over urllib3 (in common).
_KUBERNETES = ("common",)
STEPS: tuple[StepSpec, ...] = (
    StepSpec("Validate", "validate.handler.lambda_handler", ("common",), timeout_seconds=30),
    # Only reads: this workflow's Ingresses in the namespace and their setup records.
    StepSpec("ReadSetupRecord", "read_setup_record.handler.lambda_handler", _KUBERNETES, kubernetes_group=READERS),
    StepSpec("ImportCertificate", "import_certificate.handler.lambda_handler", ("common",)),
    StepSpec("ApplyIngress", "apply_ingress.handler.lambda_handler", _KUBERNETES, kubernetes_group=WRITERS),
    # Only reads: the Ingress's status and its events.
    StepSpec("CheckLoadBalancer", "check_load_balancer.handler.lambda_handler", _KUBERNETES,
             kubernetes_group=READERS),
    # verify.timeoutSeconds may be up to 900 s: the function must outlive it.
    # The drift state machine's repair runs it too (stacks/drift_repair.py), before RemoveLayer4.
    StepSpec("VerifyGrpc", "verify_grpc.handler.lambda_handler", ("common", "milvus"),
             timeout_seconds=900, memory_mb=1024, workflows=(SETUP, DRIFT)),
    # Reads the host's records, and records what it replaces on the Ingress before changing them.
    StepSpec("UpsertDns", "upsert_dns.handler.lambda_handler", _KUBERNETES, kubernetes_group=WRITERS),
    StepSpec("CheckDnsChange", "check_dns_change.handler.lambda_handler", ("common",), workflows=(SETUP, UNDO)),
    StepSpec("RemoveLayer4", "remove_layer4.handler.lambda_handler", _KUBERNETES, kubernetes_group=WRITERS,
             workflows=(SETUP, DRIFT)),
    # --- the undo (stacks/undo_workflow.py) ---
    # Reads the workflows' earlier executions and the host's certificates (up to history.MAX_LOOKS calls), then takes
    # the host's run lock (layer7/run_lock.py) as Validate does.
    StepSpec("ValidateUndo", "validate_undo.handler.lambda_handler", ("common",), workflows=(UNDO,)),
    StepSpec("RestoreLayer4", "restore_layer4.handler.lambda_handler", _KUBERNETES, workflows=(UNDO,),
             kubernetes_group=UNDO_WRITERS),
    StepSpec("CheckLayer4", "check_layer4.handler.lambda_handler", _KUBERNETES, workflows=(UNDO,),
             kubernetes_group=UNDO_READERS),
    # layer4Verify.timeoutSeconds may be up to 900 s, as verify.timeoutSeconds.
    StepSpec("VerifyLayer4", "verify_layer4.handler.lambda_handler", ("common", "milvus"), workflows=(UNDO,),
             timeout_seconds=900, memory_mb=1024),
    StepSpec("RestoreDns", "restore_dns.handler.lambda_handler", _KUBERNETES, workflows=(UNDO,),
             kubernetes_group=UNDO_READERS),
    StepSpec("DeleteIngress", "delete_ingress.handler.lambda_handler", _KUBERNETES, workflows=(UNDO,),
             kubernetes_group=UNDO_WRITERS),
    StepSpec("CheckIngressDeleted", "check_ingress_deleted.handler.lambda_handler", _KUBERNETES,
             workflows=(UNDO,), kubernetes_group=UNDO_READERS),
    StepSpec("DeleteCertificate", "delete_certificate.handler.lambda_handler", ("common",), workflows=(UNDO,)),
    # --- invoked directly (layer7ctl status), and by the scheduled drift check (stacks/drift_schedule.py) ---
    # Only reads: the Ingresses and their records and Events, the Service; ELBv2, ACM and Route 53 descriptions.
    StepSpec("CheckDrift", "check_drift.handler.lambda_handler", _KUBERNETES, workflows=(DRIFT,),
             kubernetes_group=READERS),
)
STEP_NAMES = tuple(step.name for step in STEPS)


def steps_of(workflow: str) -> tuple[StepSpec, ...]:
    return tuple(step for step in STEPS if workflow in step.workflows)
