"""The cloud's service controller: a LoadBalancer Service gets its Network Load Balancer, and loses it.

It does what k8s.io/cloud-provider ``controllers/service/controller.go`` (at 46666112f47d,
``syncLoadBalancerIfNeeded``) does, in its order:

- a Service that wants a load balancer (type LoadBalancer, no ``loadBalancerClass``: ``wantsLoadBalancer``) gets
  the event ``EnsuringLoadBalancer``, then the finalizer ``service.kubernetes.io/load-balancer-cleanup`` ("Always
  add a finalizer prior to creating load balancers"), then, ``provision_delay`` later,
  ``status.loadBalancer.ingress[0].hostname`` and ``EnsuredLoadBalancer``;
- the name does not serve at once: an NLB routes only "as soon as the registration process completes and the
  targets pass the initial health checks. It can take a few minutes" (ELB user guide, "Register targets for your
  Network Load Balancer"), so its ports refuse connections for ``serve_delay`` (those minutes, shortened);
- a Service that holds the finalizer but no longer wants one (another type, or being deleted: ``needsCleanup``)
  has its load balancer deleted (``DeletingLoadBalancer``), the finalizer removed, then ``DeletedLoadBalancer``;
  the API server itself empties ``status.loadBalancer`` when the type changes (``dropTypeDependentFields``).

The name is ``DefaultLoadBalancerName`` (``cloud.go``), and ELB gives every new NLB its own DNS name, so a
Service that leaves LoadBalancer and comes back has a fresh address and the old one no longer answers. What an
NLB does with traffic is sandbox/dataplane/nlb.py's; this controller, Kubernetes' code run by the
cloud-controller-manager, writes only through the API: a Service's status, finalizers and events.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from sandbox.dataplane.nlb import NetworkLoadBalancers
from sandbox.polling import PollingThread

FINALIZER = "service.kubernetes.io/load-balancer-cleanup"  # cloud-provider service/helpers/helper.go
COMPONENT = "service-controller"


def default_load_balancer_name(uid: str) -> str:
    """cloud.go ``DefaultLoadBalancerName``: "a" + the UID without dashes, cut to 32 characters (AWS's limit)."""
    return ("a" + uid.replace("-", ""))[:32]


def nlb_dns_name(uid: str, region: str) -> str:
    """A new NLB's DNS name: the load balancer's name and 16 hex digits ELB chose for this one."""
    return f"{default_load_balancer_name(uid)}-{secrets.token_hex(8)}.elb.{region}.amazonaws.com"


def address_of(service: dict[str, Any]) -> str | None:
    entries = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return (entries[0].get("hostname") or entries[0].get("ip")) if entries else None


def wants_load_balancer(service: dict[str, Any]) -> bool:
    spec = service.get("spec") or {}
    return spec.get("type") == "LoadBalancer" and spec.get("loadBalancerClass") is None


class ServiceControllerStandIn:
    """The cloud's service controller for the sandbox's LoadBalancer Services, NLBs included."""

    def __init__(self, kube: Any, *, nlbs: NetworkLoadBalancers, region: str = "us-east-1",
                 provision_delay: float = 2.0, serve_delay: float = 2.0, poll_interval: float = 0.2) -> None:
        self.kube, self.nlbs, self.region = kube, nlbs, region
        self.provision_delay, self.serve_delay = provision_delay, serve_delay
        self.errors: list[str] = []
        # ns/name -> {"due"} (being created), {"hostname", "serves_at"} (named), {"hostname"} (serving)
        self._balancers: dict[str, dict[str, Any]] = {}
        self._loop = PollingThread(self.sync_once, interval=poll_interval, name="service-controller-standin",
                                   errors=self.errors)

    def start(self) -> ServiceControllerStandIn:
        self._loop.start()
        return self

    def stop(self) -> None:
        self._loop.stop()

    def sync_once(self) -> None:
        for service in self.kube.list("services", None):
            meta = service["metadata"]
            key = f"{meta['namespace']}/{meta['name']}"
            finalizers = meta.get("finalizers") or []
            if not wants_load_balancer(service) or meta.get("deletionTimestamp"):
                if FINALIZER in finalizers or key in self._balancers:
                    self._delete(key, service)
            else:
                self._ensure(key, service)

    def _event(self, service: dict[str, Any], reason: str, message: str) -> None:
        meta = service["metadata"]
        self.kube.record_event(meta["namespace"], "Service", meta["name"], "Normal", reason, message, COMPONENT)

    def _set_finalizers(self, service: dict[str, Any], finalizers: list[str]) -> None:
        meta = service["metadata"]
        self.kube.patch("services", meta["namespace"], meta["name"], {"metadata": {"finalizers": finalizers or None}},
                        manager=COMPONENT)

    def _ensure(self, key: str, service: dict[str, Any]) -> None:
        meta = service["metadata"]
        balancer = self._balancers.get(key)
        if balancer is not None and set(balancer) == {"hostname"}:
            return  # it exists and serves; nothing in the spec the stand-in reads changed
        if balancer is None:
            self._event(service, "EnsuringLoadBalancer", "Ensuring load balancer")
            if FINALIZER not in (meta.get("finalizers") or []):
                self._set_finalizers(service, [*(meta.get("finalizers") or []), FINALIZER])
            existing = address_of(service)
            if existing is None:  # the load balancer is being created
                self._balancers[key] = {"due": time.monotonic() + self.provision_delay}
                return
            self._serve(key, service, existing)  # the load balancer exists already (seeded as installed)
            return
        if "serves_at" in balancer:
            if time.monotonic() >= balancer["serves_at"]:
                self._serve(key, service, balancer["hostname"])
            return
        if time.monotonic() < balancer["due"]:
            return
        hostname = nlb_dns_name(meta["uid"], self.region)
        self._balancers[key] = {"hostname": hostname, "serves_at": time.monotonic() + self.serve_delay}
        self.nlbs.provisioning(hostname, _ports(service))
        self.kube.put_status("services", meta["namespace"], meta["name"],
                             {"loadBalancer": {"ingress": [{"hostname": hostname}]}}, manager=COMPONENT)

    def _serve(self, key: str, service: dict[str, Any], hostname: str) -> None:
        self._balancers[key] = {"hostname": hostname}
        self.nlbs.serve(hostname, _ports(service))
        self._event(service, "EnsuredLoadBalancer", "Ensured load balancer")

    def _delete(self, key: str, service: dict[str, Any]) -> None:
        balancer = self._balancers.pop(key, None)
        if balancer is not None and "hostname" in balancer:
            self._event(service, "DeletingLoadBalancer", "Deleting load balancer")
            self.nlbs.remove(balancer["hostname"])
        finalizers = service["metadata"].get("finalizers") or []
        if FINALIZER in finalizers:
            self._set_finalizers(service, [f for f in finalizers if f != FINALIZER])
        self._event(service, "DeletedLoadBalancer", "Deleted load balancer")


def _ports(service: dict[str, Any]) -> list[int]:
    return [port["port"] for port in (service.get("spec") or {}).get("ports") or []]
