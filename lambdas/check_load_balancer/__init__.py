"""CheckLoadBalancer: one look at the Ingress and its ALB; the state machine waits between looks."""
