"""CheckIngressDeleted: one look for the Ingress and its ALB; the state machine waits between looks."""
