"""UpsertDns / CheckDnsChange: the host's Route 53 alias record points at the ALB, and the change is INSYNC."""
