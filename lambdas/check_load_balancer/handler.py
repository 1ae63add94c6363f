"""Lambda entry point of the CheckLoadBalancer state (layer7.handlers): the cluster and ELBv2."""

from __future__ import annotations

from check_load_balancer.logic import check_load_balancer
from layer7.handlers import step_handler
from layer7.models import CheckLoadBalancerEvent

# AlbWaitSeconds, on the poll that finds the ALB ready
lambda_handler = step_handler(CheckLoadBalancerEvent, check_load_balancer, kubernetes=True, services=("elbv2",),
                              emits_metrics=True)
