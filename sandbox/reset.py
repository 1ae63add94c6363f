"""One sandbox, many scenarios: put a running sandbox back to the state its start made, and only that.

A reset costs what the cluster and the cloud take to let go of what the last scenario made, where a fresh
sandbox costs a ``cdk deploy`` (about 30 s). Ingresses go as ``kubectl delete`` deletes them (the load balancer
controller's finalizer removes the ALB first, group_controller.go); the seeded Service is deleted and created
again (the cloud's service controller removes its NLB behind its finalizer,
sandbox/kubernetes/service_controller.py). Deployed things stay: the stack, the functions (warm environments
kept, as Lambda keeps them between unrelated invocations), the access entries, the RBAC manifest, and the
settings a deploy fixes; the rotation rule is switched off and on as an operator would (DisableRule, EnableRule).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.environment import Sandbox

# What a scenario may change without a new deploy.
RUNTIME_SETTINGS = frozenset({"controller", "milvus", "alb_delay", "active_delay", "service_manifest",
                              "certificate_rotation", "faults"})
ROTATION_EVENT = "Secret Label Updated"  # stacks/rotation.py: Secrets Manager's own event
TIMEOUT_SECONDS = 60.0


class ResetError(RuntimeError):
    """The sandbox did not get back to a fresh state in time: what is still there."""


def check_changes(deployed: Any, changes: dict[str, Any]) -> None:
    """Only run-time settings change; rotation only turns on where the stack was deployed with its rule."""
    fixed = sorted(set(changes) - RUNTIME_SETTINGS)
    if fixed:
        raise ValueError(f"fixed when the stack is deployed, not by a reset: {', '.join(fixed)}")
    if changes.get("certificate_rotation") and not deployed.certificate_rotation:
        raise ValueError("certificate_rotation: the stack was deployed without the rotation rule")


def stop_executions(box: Sandbox) -> None:
    """A run a scenario left going (a renewal the rotation rule started) would act on the next scenario's world."""
    sfn = box.aws.client("stepfunctions")
    for machine in sfn.list_state_machines()["stateMachines"]:
        running = sfn.list_executions(stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING")
        for execution in running["executions"]:
            sfn.stop_execution(executionArn=execution["executionArn"], cause="sandbox reset")


def switch_rotation(box: Sandbox, enabled: bool) -> None:
    """The stack's rule for a new certificate in the secret (deployed with certificateRotation=true), on or off."""
    events = box.aws.client("events")
    for rule in events.list_rules()["Rules"]:
        if ROTATION_EVENT in (rule.get("EventPattern") or ""):
            (events.enable_rule if enabled else events.disable_rule)(Name=rule["Name"])


def remove_ingresses(box: Sandbox) -> None:
    """Delete every Ingress and wait until the controller let each go (its ALB deleted, its finalizer removed)."""
    _delete_all(box, "ingresses", None)
    _wait(lambda: not box.kube.list("ingresses", None) and not box.load_balancers(),
          lambda: f"Ingresses {[i['metadata']['name'] for i in box.kube.list('ingresses', None)]}, "
                  f"ALBs {[lb['LoadBalancerName'] for lb in box.load_balancers()]}")


def reseed_services(box: Sandbox, manifest: dict[str, Any]) -> dict[str, Any]:
    """Every Service and Event in the namespace deleted (the Services' NLBs with them), then the seeded Service
    created again."""
    _delete_all(box, "services", box.namespace)
    _wait(lambda: not box.kube.list("services", box.namespace),
          lambda: f"Services {[s['metadata']['name'] for s in box.kube.list('services', box.namespace)]}")
    _delete_all(box, "events", box.namespace)
    box.kube.forget_event_names()
    service = box.kube.seed_service(manifest)
    if service["spec"].get("type") == "LoadBalancer":
        # As at start: the service controller has adopted the NLB (its finalizer on the Service) before anything
        # runs, so no write of its lands in the middle of a scenario.
        name = service["metadata"]["name"]
        _wait(lambda: any(e["reason"] == "EnsuredLoadBalancer"
                          for e in box.kube.events_for(box.namespace, "Service", name)),
              lambda: f"Service {name} without its Layer-4 load balancer")
        service = box.kube.get("services", box.namespace, name)
    return service


def _delete_all(box: Sandbox, kind_plural: str, namespace: str | None) -> None:
    """``kubectl delete`` of each, but for one already going (its finalizers hold it)."""
    for item in box.kube.list(kind_plural, namespace):
        if not item["metadata"].get("deletionTimestamp"):
            box.kube.delete(kind_plural, item["metadata"]["namespace"], item["metadata"]["name"])


def clear_certificates(box: Sandbox) -> None:
    """No certificate in ACM: straight from moto's store, as no API call of ACM's deletes one still in use."""
    from moto.acm.models import acm_backends

    acm_backends[box.aws.account_id][box.aws.region]._certificates.clear()


def restore_secret(box: Sandbox) -> None:
    """The sandbox's own certificate as the secret's current value (a new version only when it differs)."""
    fresh = box.certificate_value(box.settings_cert_dir())
    secrets = box.aws.client("secretsmanager")
    if secrets.get_secret_value(SecretId=box.secret_arn)["SecretString"] != fresh:
        secrets.put_secret_value(SecretId=box.secret_arn, SecretString=fresh)


def release_run_locks(box: Sandbox) -> None:
    """No run lock left by a run the reset stopped (stacks/run_lock.py's table, keyed by host)."""
    dynamodb = box.aws.client("dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        key = [k["AttributeName"] for k in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]]
        for item in dynamodb.scan(TableName=table)["Items"]:
            dynamodb.delete_item(TableName=table, Key={name: item[name] for name in key})


def restore_zone(box: Sandbox, service: dict[str, Any]) -> None:
    """The host's records as the zone held them at start: one CNAME to the Service's Layer-4 address."""
    ours = box.dns_records()
    if ours:
        box.aws.client("route53").change_resource_record_sets(HostedZoneId=box.hosted_zone_id, ChangeBatch={
            "Changes": [{"Action": "DELETE", "ResourceRecordSet": record} for record in ours]})
    box.create_host_record(service)


# What the API server and the cloud fill in anew each time a Service is created.
GENERATED_SERVICE_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation")
GENERATED_SPEC_FIELDS = ("clusterIP", "clusterIPs", "healthCheckNodePort")


def observable(box: Sandbox) -> dict[str, Any]:
    """What a scenario can see of the state a reset puts back, less what is generated anew each time."""
    service = json.loads(json.dumps(box.kube.get("services", box.namespace, box.service_name)))
    for key in GENERATED_SERVICE_FIELDS:
        service["metadata"].pop(key, None)
    for key in GENERATED_SPEC_FIELDS:
        service["spec"].pop(key, None)
    for port in service["spec"].get("ports") or []:
        port.pop("nodePort", None)
    secret = box.aws.client("secretsmanager").get_secret_value(SecretId=box.secret_arn)["SecretString"]
    dynamodb = box.aws.client("dynamodb")
    return {
        "service": service,
        "ingresses": [i["metadata"]["name"] for i in box.kube.list("ingresses", None)],
        "ingressClasses": [c["metadata"]["name"] for c in box.kube.list("ingressclasses", None)],
        "certificates": box.certificate_count(),
        "loadBalancers": [lb["LoadBalancerName"] for lb in box.load_balancers()],
        "dns": box.dns_records(),
        "secretIsTheSandboxCertificate": secret == box.certificate_value(box.settings_cert_dir()),
        "runLocks": sum(dynamodb.scan(TableName=t, Select="COUNT")["Count"]
                        for t in dynamodb.list_tables()["TableNames"]),
        "milvusServing": box.milvus.answers_grpc(),
    }


def check_fresh(box: Sandbox, fresh: dict[str, Any], *, same_service: bool) -> None:
    """A reset that left something of the last scenario behind is an error, not a quiet difference."""
    now = observable(box)
    keys = [key for key in fresh if same_service or key not in ("service", "dns")]  # the record names the Service
    differing = [key for key in keys if now[key] != fresh[key]]
    if differing:
        raise ResetError("sandbox reset: not as at start: " + "; ".join(
            f"{key}: {now[key]!r} (at start {fresh[key]!r})" for key in differing))


def _wait(done: Any, what: Any) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise ResetError(f"sandbox reset: still there after {TIMEOUT_SECONDS:.0f} s: {what()}")
        time.sleep(0.1)


def describe(changes: dict[str, Any]) -> str:
    """A reset's changes for a log line (a manifest by its name)."""
    shown = {key: (value.get("metadata", {}).get("name") if isinstance(value, dict) else value)
             for key, value in changes.items()}
    return json.dumps(shown, sort_keys=True, default=str)  # faults: a Faults, shown by its repr
