"""What the controller's deployer does in ELBv2 for one Ingress: create the ALB and its parts, modify them in place,
or delete them.

Names, tags and defaults are the controller's (kubernetes-sigs/aws-load-balancer-controller at 225f44568848:
pkg/ingress/model_build_load_balancer.go buildLoadBalancerName, model_build_target_group.go,
pkg/deploy/tracking/provider.go): ``k8s-<ns>-<name>-<hash>`` names of at most 32 characters, the tracking tags,
a target group with the annotations' health checks, one IP target, the load balancer's attributes, and per listen
port a listener whose default action is a 404 and a rule for the host. Deleting goes load balancer first (its
listeners with it), then the target group, as pkg/deploy/stack_deployer.go orders it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

# The one rule per listener: the Ingress's one path (model_build_listener_rules.go numbers rules from 1).
RULE_PRIORITY = 1
TARGET_IP = "127.0.0.1"  # the Service's one pod: the sandbox's one Milvus


def load_balancer_name(namespace: str, name: str, salt: str) -> str:
    """``k8s-%.8s-%.8s-%.10s`` of the sanitized namespace and name and a hash (model_build_load_balancer.go)."""
    def clean(s: str) -> str:
        return re.sub(r"[^A-Za-z0-9]", "", s)[:8]

    digest = hashlib.sha256(f"{salt}/{namespace}/{name}".encode()).hexdigest()[:10]
    return f"k8s-{clean(namespace)}-{clean(name)}-{digest}"[:32]


def _tags(cluster_name: str, key: str, resource: str) -> list[dict[str, str]]:
    """The tracking tags (tracking/provider.go)."""
    return [{"Key": "elbv2.k8s.aws/cluster", "Value": cluster_name}, {"Key": "ingress.k8s.aws/stack", "Value": key},
            {"Key": "ingress.k8s.aws/resource", "Value": resource}]


def deploy(elbv2: Any, key: str, meta: dict[str, Any], plan: dict[str, Any], state: dict[str, Any], *,
           cluster_name: str, subnets: list[str], vpc_id: str,
           created: Callable[[dict[str, Any]], None], registered: Callable[[dict[str, Any]], None]) -> None:
    """Build the ALB for ``plan``; ``state`` gets ``lb_arn``, ``dns`` and ``tg_arn`` as they exist.

    ``created`` is called once the load balancer exists, ``registered`` once its target is registered.
    """
    lb = elbv2.create_load_balancer(
        Name=load_balancer_name(meta["namespace"], meta["name"], cluster_name + plan["scheme"]), Subnets=subnets,
        Scheme=plan["scheme"], Type="application", IpAddressType="ipv4",
        Tags=_tags(cluster_name, key, "LoadBalancer"))["LoadBalancers"][0]
    state.update(lb_arn=lb["LoadBalancerArn"], dns=lb["DNSName"])
    created(state)
    if plan["load_balancer_attributes"]:  # load_balancer_manager.go Create, then its attributes reconciler
        _modify_attributes(elbv2, state, plan)
    _create_target_group(elbv2, key, meta, plan, state, cluster_name=cluster_name, vpc_id=vpc_id,
                         registered=registered)
    for proto, port in plan["listeners"]:
        _create_listener(elbv2, state, plan, proto, port)


def update(elbv2: Any, key: str, meta: dict[str, Any], old: dict[str, Any], plan: dict[str, Any],
           state: dict[str, Any], *, cluster_name: str, vpc_id: str,
           registered: Callable[[dict[str, Any]], None]) -> bool:
    """Bring the ALB ``state`` holds from ``old``'s plan to ``plan``'s in place, as the deployer does for a model
    whose load balancer needs no replacement; True when the target group was replaced (its target registers anew).

    pkg/deploy/elbv2: the load balancer synthesizer modifies a matched load balancer's attributes
    (load_balancer_manager.go), the target group synthesizer replaces a target group only when its target type,
    protocol or protocol version changes (isSDKTargetGroupRequiresReplacement; another backend or port is another
    resource id, so another target group) and otherwise modifies its health check (target_group_manager.go),
    and the listener synthesizer matches listeners by port, modifying a matched one and deleting the rest
    (listener_synthesizer.go). Target groups no longer used are deleted last.
    """
    if plan["load_balancer_attributes"] and plan["load_balancer_attributes"] != old["load_balancer_attributes"]:
        _modify_attributes(elbv2, state, plan)
    replaced_tg = state["tg_arn"] if any(plan[k] != old[k] for k in (
        "target_type", "backend_protocol", "grpc", "backend", "port")) else None
    if replaced_tg:
        _create_target_group(elbv2, key, meta, plan, state, cluster_name=cluster_name, vpc_id=vpc_id,
                             registered=registered)
    else:
        elbv2.modify_target_group(TargetGroupArn=state["tg_arn"], **_health_check_args(plan))
    existing = {listener["Port"]: listener for listener in
                elbv2.describe_listeners(LoadBalancerArn=state["lb_arn"])["Listeners"]}
    for proto, port in plan["listeners"]:
        listener = existing.pop(port, None)
        if listener is None:
            _create_listener(elbv2, state, plan, proto, port)
            continue
        elbv2.modify_listener(ListenerArn=listener["ListenerArn"], **_listener_args(plan, proto, port))
        # listener_rule_synthesizer.go: a rule of the same priority is modified in place ("to avoid any 503
        # errors"), one missing is created
        rules = [r for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
                 if r.get("Priority") == str(RULE_PRIORITY)]
        if rules:
            elbv2.modify_rule(RuleArn=rules[0]["RuleArn"], **_rule(plan, state))
        else:
            elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=RULE_PRIORITY, **_rule(plan, state))
    for listener in existing.values():
        elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
    if replaced_tg:
        elbv2.delete_target_group(TargetGroupArn=replaced_tg)
    return replaced_tg is not None


def _modify_attributes(elbv2: Any, state: dict[str, Any], plan: dict[str, Any]) -> None:
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=state["lb_arn"], Attributes=[
        {"Key": attribute, "Value": value} for attribute, value in plan["load_balancer_attributes"].items()])


def _health_check_args(plan: dict[str, Any]) -> dict[str, Any]:
    check = plan["health_check"]
    return dict(HealthCheckProtocol=plan["backend_protocol"], HealthCheckPath=plan["health_path"],
                HealthCheckIntervalSeconds=check.interval_seconds, HealthCheckTimeoutSeconds=check.timeout_seconds,
                HealthyThresholdCount=check.healthy_threshold_count,
                UnhealthyThresholdCount=check.unhealthy_threshold_count, Matcher=plan["matcher"])


def _create_target_group(elbv2: Any, key: str, meta: dict[str, Any], plan: dict[str, Any], state: dict[str, Any],
                         *, cluster_name: str, vpc_id: str, registered: Callable[[dict[str, Any]], None]) -> None:
    ns, name = meta["namespace"], meta["name"]
    tg_args: dict[str, Any] = dict(
        Name=load_balancer_name(ns, plan["backend"], f"{cluster_name}/{name}/{plan['port']}/{plan['target_type']}"
                                f"/{plan['backend_protocol']}/{plan['grpc']}"),
        Protocol=plan["backend_protocol"], Port=plan["port"], VpcId=vpc_id, TargetType=plan["target_type"],
        Tags=_tags(cluster_name, key, f"{ns}/{name}-{plan['backend']}:{plan['port']}"),
        **_health_check_args(plan))
    if plan["grpc"]:
        tg_args["ProtocolVersion"] = "GRPC"
    tg = elbv2.create_target_group(**tg_args)["TargetGroups"][0]
    state["tg_arn"] = tg["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": TARGET_IP, "Port": plan["port"]}])
    registered(state)


def _listener_args(plan: dict[str, Any], proto: str, port: int) -> dict[str, Any]:
    https = {"Certificates": [{"CertificateArn": plan["cert"]}], "SslPolicy": plan["ssl_policy"]}
    return {"Protocol": proto, "Port": port, **(https if proto == "HTTPS" else {})}


def _create_listener(elbv2: Any, state: dict[str, Any], plan: dict[str, Any], proto: str, port: int) -> None:
    listener = elbv2.create_listener(LoadBalancerArn=state["lb_arn"], **_listener_args(plan, proto, port),
                                     DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
                                         "StatusCode": "404", "ContentType": "text/plain"}}])["Listeners"][0]
    elbv2.create_rule(ListenerArn=listener["ListenerArn"], Priority=RULE_PRIORITY, **_rule(plan, state))


def _rule(plan: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The host's rule: its conditions and its forward to the target group."""
    conditions = [{"Field": "path-pattern", "Values": ["/*"]}]
    if plan["host"]:
        conditions.insert(0, {"Field": "host-header", "Values": [plan["host"]]})
    return {"Conditions": conditions, "Actions": [{"Type": "forward", "TargetGroupArn": state["tg_arn"]}]}


def delete(elbv2: Any, state: dict[str, Any]) -> None:
    """Delete the load balancer (listeners first) and the target group; ``state`` forgets each one deleted."""
    if state.get("lb_arn"):
        for listener in elbv2.describe_listeners(LoadBalancerArn=state["lb_arn"])["Listeners"]:
            elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
        elbv2.delete_load_balancer(LoadBalancerArn=state["lb_arn"])
        state.pop("lb_arn")
    if state.get("tg_arn"):
        elbv2.delete_target_group(TargetGroupArn=state["tg_arn"])
        state.pop("tg_arn")
