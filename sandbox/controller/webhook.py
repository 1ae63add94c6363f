"""The load balancer controller's validating webhook for Ingresses, ``vingress.elbv2.k8s.aws``.

Follows kubernetes-sigs/aws-load-balancer-controller ``webhooks/networking/ingress_validator.go``
(``ValidateCreate`` / ``ValidateUpdate``) with the checks its default flags switch on; the IngressClass-params and
group-name checks are off by default (``--disable-ingress-class-annotation``,
``--disable-ingress-group-name-annotation``) and not played. A denial is controller-runtime's ``admission.Denied``
(pkg/webhook/admission/response.go ``ValidationResponse``), which sandbox/kubernetes/admission.py answers 403.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.kubernetes.admission import Lookup

NAME = "vingress.elbv2.k8s.aws"
CONTROLLER = "ingress.k8s.aws/alb"
INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
INGRESS_CLASS = "alb"  # the controller's --ingress-class default
CONDITIONS_PREFIX = "alb.ingress.kubernetes.io/conditions."


class ClassNotLoaded(Exception):
    """class_loader.go's ``ErrInvalidIngressClass`` (and friends), with its message."""


class IngressValidator:
    name = NAME
    resources = frozenset({"ingresses"})

    def review(self, operation: str, ing: dict[str, Any], old: dict[str, Any] | None,
               lookup: Lookup) -> str | None:
        annotations = (ing.get("metadata") or {}).get("annotations") or {}
        try:
            # checkIngressClass: the annotation decides by itself (INGRESS_CLASS); else the IngressClass is loaded,
            # and one of another controller, or none, skips every later check
            if INGRESS_CLASS_ANNOTATION in annotations:
                if annotations[INGRESS_CLASS_ANNOTATION] != INGRESS_CLASS:
                    return None
            else:
                ingress_class = self._load_class(ing, lookup)
                if ingress_class is None or (ingress_class.get("spec") or {}).get("controller") != CONTROLLER:
                    return None
            self._check_class_usage(operation, ing, old, lookup)
            self._check_conditions(ing, annotations)
        except (ClassNotLoaded, ValueError) as exc:
            return str(exc)
        return None

    @staticmethod
    def _load_class(ing: dict[str, Any], lookup: Lookup) -> dict[str, Any] | None:
        """pkg/ingress/class_loader.go: ``spec.ingressClassName``, else the cluster's default class."""
        name = (ing.get("spec") or {}).get("ingressClassName")
        if name:
            found = lookup("ingressclasses", None, name)
            if found is None:
                raise ClassNotLoaded(f'invalid ingress class: ingressclasses.networking.k8s.io "{name}" not found')
            return found
        return None  # the cluster's default class: the sandbox seeds none

    def _check_class_usage(self, operation: str, ing: dict[str, Any], old: dict[str, Any] | None,
                           lookup: Lookup) -> None:
        """checkIngressClassUsage: on CREATE with a class name, or an UPDATE that changes it, the class must load."""
        name = (ing.get("spec") or {}).get("ingressClassName")
        before = ((old or {}).get("spec") or {}).get("ingressClassName")
        if name and (operation == "CREATE" or name != before):
            self._load_class(ing, lookup)

    @staticmethod
    def _check_conditions(ing: dict[str, Any], annotations: dict[str, str]) -> None:
        """checkIngressAnnotationConditions: each path's ``conditions.<service>`` must be JSON."""
        for rule in (ing.get("spec") or {}).get("rules") or []:
            for path in (rule.get("http") or {}).get("paths") or []:
                service = ((path.get("backend") or {}).get("service") or {}).get("name")
                key = f"{CONDITIONS_PREFIX}{service}"
                if service and key in annotations:
                    try:
                        json.loads(annotations[key])
                    except ValueError as exc:
                        raise ValueError(f"failed to parse json annotation, {key}: {annotations[key]}: {exc}") from None


def alb_ingress_class() -> dict[str, Any]:
    """The IngressClass the controller's Helm chart creates (``createIngressClassResource: true``)."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
            "metadata": {"name": "alb", "labels": {"app.kubernetes.io/name": "aws-load-balancer-controller"}},
            "spec": {"controller": CONTROLLER}}
