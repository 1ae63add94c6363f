"""The AWS Load Balancer Controller, played locally: Ingresses of class ``alb`` reconciled into moto's ELBv2."""

from sandbox.controller.reconcile import LoadBalancerControllerStandIn

__all__ = ["LoadBalancerControllerStandIn"]
