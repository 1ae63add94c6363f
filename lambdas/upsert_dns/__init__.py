"""UpsertDns: the host's Route 53 alias record points at the ALB, in place of what answered before."""
