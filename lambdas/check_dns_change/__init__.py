"""CheckDnsChange: one look at a Route 53 change; the state machine waits between looks until it is INSYNC."""
