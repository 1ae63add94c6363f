"""A stand-in for the AWS Load Balancer Controller, reconciling Ingresses of class ``alb`` into moto's ELBv2.

It plays what the workflow can observe of the real controller: annotation checks that end in Warning events
(``FailedBuildModel`` / ``FailedDeployModel``); an ALB named and tagged as the controller does (``deploy``); the
Ingress address written while the ALB is still ``provisioning``, the ALB turning ``active`` later and its target's
health following the ALB's health checks (sandbox/dataplane/health.py; ``moto_hooks`` where moto's answers differ);
and deletion: the finalizer ``ingress.k8s.aws/resources`` added before anything is built and removed only once the
deleted Ingress's ALB and target group are gone, so the API server lets the Ingress go.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from sandbox.controller import deploy, moto_hooks
from sandbox.controller.elbv2_validation import aws_error, certificate_not_found
from sandbox.controller.webhook import IngressValidator, alb_ingress_class
from sandbox.dataplane.health import HealthCheckSettings, TargetHealthChecks
from sandbox.polling import PollingThread

PREFIX = "alb.ingress.kubernetes.io/"
COMPONENT = "ingress"
# pkg/shared_constants/finalizers.go ImplicitGroupFinalizer: an Ingress in no explicit IngressGroup
FINALIZER = "ingress.k8s.aws/resources"


def _moto_backend(account_id: str, region: str) -> Any:
    from moto.elbv2.models import elbv2_backends
    return elbv2_backends[account_id][region]


# ok: reconcile; reject: every deploy fails (AccessDenied), retried for ever; never: no address ever;
# transient: ELBv2 does not yet see a certificate ACM just imported (the first reconciles fail, a later one
# succeeds); webhook-deny: the controller's chart created no IngressClass "alb", so its webhook denies the Ingress.
MODES = ("ok", "reject", "never", "transient", "webhook-deny")
# controller-runtime's default per-item rate limiter: 5 ms doubling to 1,000 s
# (client-go util/workqueue/default_rate_limiters.go DefaultTypedControllerRateLimiter).
BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS = 0.005, 1000.0
# transient mode: how long a new certificate stays invisible to ELBv2 (eventual consistency between ACM and ELB).
CERTIFICATE_VISIBILITY_SECONDS = 5.0


class Rejected(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


class LoadBalancerControllerStandIn:
    def __init__(self, kube: Any, *, elbv2: Any, acm: Any, ec2_subnet_ids: list[str], vpc_id: str,
                 cluster_name: str, mode: str = "ok", alb_delay: float = 3.0, active_delay: float = 2.0,
                 data_plane: Callable[[dict, dict], Any] | None = None,
                 data_plane_removed: Callable[[str], Any] | None = None,
                 backend_healthy: Callable[[float], bool] = lambda timeout: True, poll_interval: float = 0.2,
                 elbv2_backend_getter: Callable[[], Any] | None = None, health_check_scale: float = 1.0) -> None:
        """``backend_healthy(timeout)`` is one health check of the target; ``health_check_scale`` multiplies the
        target group's interval and timeout (sandbox/dataplane/health.py)."""
        self.kube, self.elbv2, self.acm = kube, elbv2, acm
        self.subnets, self.vpc_id, self.cluster_name = list(ec2_subnet_ids), vpc_id, cluster_name
        self.mode, self.alb_delay, self.active_delay = _check_mode(mode), alb_delay, active_delay
        self.data_plane, self.data_plane_removed = data_plane, data_plane_removed
        self.backend_healthy, self.health_check_scale = backend_healthy, health_check_scale
        self._backend_getter = elbv2_backend_getter or (
            lambda: _moto_backend(os.environ.get("MOTO_ACCOUNT_ID", "123456789012"), elbv2.meta.region_name))
        self.timeline: dict[str, dict[str, Any]] = {}
        self.errors: list[str] = []
        self._state: dict[str, dict[str, Any]] = {}
        self._certificates_first_seen: dict[str, float] = {}
        self.webhook = IngressValidator()
        self._loop = PollingThread(self.reconcile_once, interval=poll_interval, name="alb-controller-standin",
                                   errors=self.errors)

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def start(self) -> "LoadBalancerControllerStandIn":
        """Install as the controller's Helm chart does: its IngressClass and its webhook, then reconcile."""
        self._sync_ingress_class()
        if self.webhook not in self.kube.emulator.validating_webhooks:
            self.kube.emulator.validating_webhooks.append(self.webhook)
        self._loop.start()
        return self

    def switch(self, *, mode: str, alb_delay: float, active_delay: float, health_check_scale: float) -> None:
        """Another scenario on the same cluster (sandbox/reset.py): its mode and pace."""
        self.mode, self.alb_delay, self.active_delay = _check_mode(mode), alb_delay, active_delay
        self.health_check_scale = health_check_scale
        self._sync_ingress_class()
        self.timeline.clear()
        self._certificates_first_seen.clear()

    def _sync_ingress_class(self) -> None:
        """The chart's IngressClass ``alb``, but in ``webhook-deny`` mode: a chart installed without it."""
        has_class = self.kube.get("ingressclasses", None, "alb") is not None
        if self.mode == "webhook-deny" and has_class:
            self.kube.delete("ingressclasses", None, "alb")
        elif self.mode != "webhook-deny" and not has_class:
            self.kube.create("ingressclasses", None, alb_ingress_class(), manager="helm")

    def stop(self) -> None:
        self._loop.stop()
        if self.webhook in self.kube.emulator.validating_webhooks:
            self.kube.emulator.validating_webhooks.remove(self.webhook)

    def timeline_for(self, namespace: str, name: str) -> dict[str, Any]:
        return dict(self.timeline.get(f"{namespace}/{name}", {}))

    # -- reconciliation --------------------------------------------------------------------------------------------
    def reconcile_once(self) -> None:
        seen = set()
        for ing in self.kube.list("ingresses", None):
            if not self._is_alb(ing):
                continue
            key = f"{ing['metadata']['namespace']}/{ing['metadata']['name']}"
            seen.add(key)
            if ing["metadata"].get("deletionTimestamp"):
                self._finalize(key, ing)
                continue
            self._add_finalizer(ing)
            self._reconcile(key, ing)
        for key in set(self._state) - seen:  # deleted with no finalizer left to wait for us (forced)
            self._cleanup(self._state.pop(key))

    def _add_finalizer(self, ing: dict[str, Any]) -> None:
        """group_controller.go adds the group's finalizer on every reconcile, before it builds anything."""
        meta = ing["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if FINALIZER not in finalizers:
            # pkg/k8s/finalizer.go AddFinalizers: a merge patch with the whole list (MergeFromWithOptimisticLock)
            self.kube.patch("ingresses", meta["namespace"], meta["name"],
                            {"metadata": {"finalizers": [*finalizers, FINALIZER]}}, manager="controller")

    def _finalize(self, key: str, ing: dict[str, Any]) -> None:
        """An Ingress being deleted leaves the group: its ALB and target group go, then the finalizer does.

        group_controller.go: the deleting Ingress is an inactive member; the model built without it is empty,
        so the deployer deletes every resource tagged with the stack (the load balancer first), and only after
        that succeeded is the finalizer removed (RemoveGroupFinalizer). A failure keeps the finalizer and the
        next reconcile tries again; no event reaches a deleting Ingress.
        """
        meta = ing["metadata"]
        finalizers = list(meta.get("finalizers") or [])
        if FINALIZER not in finalizers:
            return
        state = self._state.get(key)
        if state is not None and not self._cleanup(state):
            return
        self._state.pop(key, None)
        self.timeline.setdefault(key, {})["deletedAt"] = time.time()
        self.kube.patch("ingresses", meta["namespace"], meta["name"],
                        {"metadata": {"finalizers": [f for f in finalizers if f != FINALIZER]}}, manager="controller")

    @staticmethod
    def _is_alb(ing: dict[str, Any]) -> bool:
        annotations = ing["metadata"].get("annotations") or {}
        return (ing.get("spec") or {}).get("ingressClassName") == "alb" or \
            annotations.get("kubernetes.io/ingress.class") == "alb"

    def _reconcile(self, key: str, ing: dict[str, Any]) -> None:
        meta = ing["metadata"]
        # The model is built from the spec (its generation) and the alb.ingress.kubernetes.io/ annotations only
        # (pkg/annotations: the parser reads its own prefix); other annotations, as this workflow's records, are
        # not the controller's business and change nothing of the ALB.
        ours = {k: v for k, v in (meta.get("annotations") or {}).items() if k.startswith(PREFIX)}
        version = (meta["uid"], meta.get("generation"), json.dumps(ours, sort_keys=True))
        state = self._state.get(key)
        if state is not None and state["version"] != version and self._modified_in_place(key, ing, state):
            state["version"] = version
        if state is None or state["version"] != version:
            if state is not None:
                self._cleanup(state)
            state = self._state[key] = {"version": version, "phase": "new"}
            self.timeline[key] = {"seenAt": time.time()}
        if state["phase"] == "failed" and time.time() >= state["retry_at"]:
            state["phase"] = "new"  # the rate limiter hands the key back: reconcile again
        if state["phase"] == "new":
            self._build(key, ing, state)
        now = time.time()
        if state["phase"] == "provisioning" and self.mode != "never" and now >= state["address_due"]:
            self.kube.put_status("ingresses", meta["namespace"], meta["name"],
                                 {"loadBalancer": {"ingress": [{"hostname": state["dns"]}]}}, manager="controller")
            self.timeline[key]["addressAt"] = time.time()
            state["phase"], state["active_due"] = "addressed", time.time() + self.active_delay
        if state["phase"] == "addressed" and now >= state["active_due"]:
            self._serve(ing, state)
            moto_hooks.set_active(self._backend(), state)
            state["phase"] = "active"
            self.timeline[key]["lbActiveAt"] = time.time()
            state["checks"].start()  # registration completes with the ALB: the health checks begin
        if state["phase"] == "active":
            state["checks"].tick()
            if "activeAt" not in self.timeline[key] and state["checks"].state == "healthy":
                self.timeline[key]["activeAt"] = state["checks"].healthy_at or time.time()

    def _build(self, key: str, ing: dict[str, Any], state: dict[str, Any]) -> None:
        """One reconcile. A failure records its Warning event (client-go's recorder folds repeats into its count)
        and is retried after the rate limiter's backoff, as group_controller.go's errors are."""
        meta = ing["metadata"]
        try:
            plan = self._plan(ing)
            if self.mode == "reject":
                # as in aws-samples/multi-tenant-chatbot-using-rag-with-amazon-bedrock#17's FailedDeployModel
                raise Rejected("FailedDeployModel", aws_error(
                    "CreateLoadBalancer", 403, "AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/"
                    "aws-load-balancer-controller/sandbox is not authorized to perform: elasticloadbalancing:"
                    "CreateLoadBalancer because no identity-based policy allows the elasticloadbalancing:"
                    "CreateLoadBalancer action"))
            self._check_certificate_visible(plan)
            self._deploy(key, meta, plan, state)
        except Rejected as e:
            attempts = state.get("attempts", 0) + 1
            backoff = min(BACKOFF_BASE_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS)
            state.update(phase="failed", attempts=attempts, retry_at=time.time() + backoff)
            self.kube.record_event(meta["namespace"], "Ingress", meta["name"], "Warning", e.reason, str(e), COMPONENT)
            return
        state.update(phase="provisioning", address_due=time.time() + self.alb_delay)
        self.kube.record_event(meta["namespace"], "Ingress", meta["name"], "Normal", "SuccessfullyReconciled",
                               "Successfully reconciled", COMPONENT)

    def _plan(self, ing: dict[str, Any]) -> dict[str, Any]:
        """Read the annotations as the controller's model builder does (FailedBuildModel on bad input)."""
        meta, spec = ing["metadata"], ing.get("spec") or {}
        where = f"ingress: {meta['namespace']}/{meta['name']}"
        from sandbox.controller import annotations  # the controller's parsing and the ELBv2 API's checks
        paths = [(rule.get("host"), p)
                 for rule in spec.get("rules") or [] for p in (rule.get("http") or {}).get("paths") or []]
        try:
            backends = sorted({p["backend"]["service"]["name"] for _, p in paths if "service" in p.get("backend", {})})
            parsed = annotations.parse(meta.get("annotations") or {}, where.removeprefix("ingress: "),
                                       backends=backends)
        except annotations.AnnotationRejected as e:
            # reason None: the real controller records no event (a group that fails to load); this stand-in can only
            # reject with one, so it says FailedBuildModel
            raise Rejected(e.reason or "FailedBuildModel", e.message) from None
        cert, listeners = parsed["certificate_arn"], parsed["listeners"]
        if not paths:
            raise Rejected("FailedBuildModel", f"Failed build model due to {where}: no rules with backends")
        host, path = paths[0]
        backend = path["backend"]["service"]
        service = self.kube.get("services", meta["namespace"], backend["name"])
        if service is None:
            raise Rejected("FailedBuildModel",
                           f"Failed build model due to {where}: Service \"{backend['name']}\" not found")
        if parsed["target_type"] == "instance" and service["spec"].get("type") not in ("NodePort", "LoadBalancer"):
            raise Rejected("FailedBuildModel", f"Failed build model due to {where}: service \"{backend['name']}\" "
                           "must be of type NodePort or LoadBalancer for instance target type")
        if any(proto == "HTTPS" for proto, _ in listeners) and not cert:
            raise Rejected("FailedBuildModel",
                           f"Failed build model due to {where}: no certificate found for host: {host}")
        if parsed["grpc"] and not any(proto == "HTTPS" for proto, _ in listeners):
            raise Rejected("FailedDeployModel", aws_error(
                "CreateListener", 400, "ValidationError",
                "Listener protocol 'HTTP' is not supported with a target group with the protocol-version 'GRPC'"))
        if cert:
            try:
                self.acm.describe_certificate(CertificateArn=cert)
            except ClientError as e:
                if e.response["Error"]["Code"] in ("ResourceNotFoundException", "ValidationException"):
                    raise Rejected("FailedDeployModel", certificate_not_found(cert)) from None
                raise
        port = backend["port"].get("number") or next(
            (p["port"] for p in service["spec"].get("ports") or [] if p.get("name") == backend["port"].get("name")), 80)
        check = parsed["health_check"]
        return {**parsed, "cert": cert, "host": host, "port": port, "backend": backend["name"], "health_path":
                check["path"], "health_check": HealthCheckSettings(**{
                    field.name: check[field.name] for field in dataclasses.fields(HealthCheckSettings)})}

    def _check_certificate_visible(self, plan: dict[str, Any]) -> None:
        """transient mode: CreateListener's CertificateNotFound while ELBv2 does not yet see a new certificate."""
        if self.mode != "transient" or not plan["cert"]:
            return
        first_seen = self._certificates_first_seen.setdefault(plan["cert"], time.time())
        if time.time() < first_seen + CERTIFICATE_VISIBILITY_SECONDS:
            raise Rejected("FailedDeployModel", certificate_not_found(plan["cert"]))

    def _modified_in_place(self, key: str, ing: dict[str, Any], state: dict[str, Any]) -> bool:
        """A changed Ingress whose serving ALB needs no replacement: modify it, keep its name, address and target.

        The deployer replaces a load balancer only when its scheme changes (load_balancer_synthesizer.go,
        isSDKLoadBalancerRequiresReplacement); everything else is modified in place (deploy.update). A model
        that fails to build or deploy is left to the ordinary path (the stand-in then rebuilds and reports).
        """
        if state.get("phase") != "active" or self.mode not in ("ok", "transient"):
            return False
        try:
            plan = self._plan(ing)
            self._check_certificate_visible(plan)
        except Rejected:
            return False
        if plan["scheme"] != state["plan"]["scheme"]:
            return False
        meta = ing["metadata"]
        replaced = deploy.update(self.elbv2, key, meta, state["plan"], plan, state, cluster_name=self.cluster_name,
                                 vpc_id=self.vpc_id, registered=self._registered)
        state.update(plan=plan, health_check=plan["health_check"])
        if replaced:
            state["checks"].start()  # a new target group's target: registered on an active ALB, checked from now
        else:
            state["checks"].settings = plan["health_check"]  # ModifyTargetGroup: the next checks use these
        self._serve(ing, state)
        self.kube.record_event(meta["namespace"], "Ingress", meta["name"], "Normal", "SuccessfullyReconciled",
                               "Successfully reconciled", COMPONENT)
        return True

    def _deploy(self, key: str, meta: dict[str, Any], plan: dict[str, Any], state: dict[str, Any]) -> None:
        state["health_check"], state["plan"] = plan["health_check"], plan
        deploy.deploy(self.elbv2, key, meta, plan, state, cluster_name=self.cluster_name, subnets=self.subnets,
                      vpc_id=self.vpc_id, created=self._hold_provisioning, registered=self._registered)
        self.timeline[key].update(albArn=state["lb_arn"], dnsName=state["dns"], createdAt=time.time())

    def _serve(self, ing: dict[str, Any], state: dict[str, Any]) -> None:
        """The ALB answers with what it now is: the data plane serves it."""
        if self.data_plane is not None:
            self.data_plane(ing, self.elbv2.describe_load_balancers(LoadBalancerArns=[state["lb_arn"]])
                            ["LoadBalancers"][0])

    # -- moto hooks (sandbox/controller/moto_hooks.py) -----------------------------------------------------------------
    def _backend(self) -> Any | None:
        try:
            return self._backend_getter()
        except Exception:  # noqa: BLE001 - moto out of process: state and health are moto's own
            return None

    def _hold_provisioning(self, state: dict[str, Any]) -> None:
        moto_hooks.hold_provisioning(self._backend(), state)

    def _registered(self, state: dict[str, Any]) -> None:
        """The target is registered: its health checks are set up (they begin when the ALB turns active)."""
        state["checks"] = TargetHealthChecks(self.backend_healthy, state["health_check"],
                                             scale=self.health_check_scale, clock=time.time)
        moto_hooks.control_health(self._backend(), state, lambda: state["checks"].state)

    def _cleanup(self, state: dict[str, Any]) -> bool:
        """Delete what was built for an Ingress, as the controller does; False when ELBv2 refused (try again)."""
        dns = state.get("dns") if state.get("lb_arn") else None
        try:
            deploy.delete(self.elbv2, state)
        except ClientError as e:
            self.errors.append(repr(e))
            return False
        if dns and self.data_plane_removed is not None:
            self.data_plane_removed(dns)  # the ALB's listener stops answering with it
        return True
