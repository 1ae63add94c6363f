"""The Ingress as this workflow wants it: what ApplyIngress applies and CheckDrift compares the cluster with.

One function for both, so the drift check holds the Ingress to exactly what the setup's record makes of it,
never to a copy that could part from ApplyIngress's.
"""

from __future__ import annotations

import json
from typing import Any

from layer7 import kube as k8s
from layer7 import setup_record
from layer7.ingress_defaults import ALB, with_defaults
from layer7.models import SetupRequest


def workflow_annotations(request: SetupRequest, certificate_arn: str) -> dict[str, str]:
    """The guide's annotations; the contract says a caller cannot override them."""
    return {
        f"{ALB}scheme": request.scheme,
        f"{ALB}backend-protocol-version": "GRPC",
        f"{ALB}target-type": "ip",
        f"{ALB}listen-ports": json.dumps([{"HTTPS": request.listen_port}], separators=(",", ":")),
        f"{ALB}certificate-arn": certificate_arn,
    }


def ingress_manifest(request: SetupRequest, certificate_arn: str) -> dict[str, Any]:
    """The whole Ingress as this workflow wants it (apply sends intent, not a diff).

    Three layers, each winning over the one before: the workflow's defaults
    (layer7.ingress_defaults: TLS policy, idle timeout, health checks), the
    caller's ingressAnnotations, the guide's five the workflow owns; beside them the setup's record
    (layer7.setup_record), written in the same apply so the two never part.
    """
    annotations = {**with_defaults(request.ingress_annotations), **workflow_annotations(request, certificate_arn),
                   setup_record.SETUP_RECORD_ANNOTATION: setup_record.annotation_value(request)}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": request.ingress_name,
            "namespace": request.namespace,
            "labels": {k8s.MANAGED_BY_LABEL: k8s.FIELD_MANAGER},
            "annotations": annotations,
        },
        "spec": {
            "ingressClassName": "alb",
            "tls": [{"hosts": [request.host]}],
            "rules": [
                {
                    "host": request.host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {
                                    "service": {
                                        "name": request.service_name,
                                        "port": {"number": request.service_port},
                                    }
                                },
                            }
                        ]
                    },
                }
            ],
        },
    }
