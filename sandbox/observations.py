"""What the demo's report and the tests read of the sandbox: the cluster, the zone, ACM, which load balancer serves.

Read-only views over the running sandbox (mixed into ``Sandbox``), as a
person would look with kubectl and the AWS CLI.
"""

from __future__ import annotations

from typing import Any


class Observations:
    """Needs ``kube``, ``aws``, ``host``, ``namespace``, ``service_name``, ``hosted_zone_id`` (``Sandbox``'s)."""

    host: str
    kube: Any
    aws: Any
    namespace: str
    service_name: str
    hosted_zone_id: str

    def dns_records(self) -> list[dict[str, Any]] | None:
        """The zone's record sets named host (with --dns), as Route 53 lists them."""
        if not self.hosted_zone_id:
            return None
        answer = self.aws.client("route53").list_resource_record_sets(HostedZoneId=self.hosted_zone_id)
        return [record for record in answer["ResourceRecordSets"] if record["Name"].rstrip(".") == self.host]

    def cluster_view(self) -> dict[str, Any]:
        """The Milvus Service as the API returns it, and the Ingresses beside it."""
        service = self.kube.get("services", self.namespace, self.service_name)
        ingresses = self.kube.list("ingresses", self.namespace)
        return {
            "service": service,
            "ingresses": [
                {"name": i["metadata"]["name"], "annotations": i["metadata"].get("annotations", {}),
                 "events": [{key: event.get(key) for key in ("type", "reason", "message", "count", "firstTimestamp",
                                                             "lastTimestamp")}
                            for event in self.kube.events_for(self.namespace, "Ingress", i["metadata"]["name"])]}
                for i in ingresses
            ],
        }

    def certificate_count(self) -> int:
        acm = self.aws.client("acm")
        return sum(len(page["CertificateSummaryList"]) for page in acm.get_paginator("list_certificates").paginate())

    def load_balancers(self) -> list[dict[str, Any]]:
        """ELBv2's load balancers (the ALBs the controller stand-in made)."""
        return list(self.aws.client("elbv2").describe_load_balancers()["LoadBalancers"])
