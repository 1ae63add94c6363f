"""RestoreDns: what answered for the host before setup answers again, pointed at the Layer-4 load balancer."""
