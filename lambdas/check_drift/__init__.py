"""CheckDrift: one read-only look at a host's setup as it is now, against the setup recorded for it."""
