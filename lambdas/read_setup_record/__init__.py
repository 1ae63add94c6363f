"""ReadSetupRecord: the request as the host's recorded setup says, before anything changes."""
