"""The EKS cluster's Kubernetes API, played locally (kmock-based, HTTPS, EKS token authentication)."""

from sandbox.kubernetes.standin import KubernetesStandIn

__all__ = ["KubernetesStandIn"]
