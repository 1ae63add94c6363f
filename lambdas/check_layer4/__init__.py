"""CheckLayer4: one look at the restored Service's Layer-4 address; the state machine waits between looks."""
