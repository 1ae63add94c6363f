"""The run lock's table as both sides name it: the stack builds the table, its IAM and the release from these
names, the Validate steps write its item (layer7/run_lock.py). Only the standard library here: the CDK app
loads this module (stacks/runtime.py).
"""

from __future__ import annotations

TABLE_VARIABLE, HOLD_VARIABLE = "RUN_LOCK_TABLE", "RUN_LOCK_HOLD_SECONDS"
HOST, HOLDER, ACQUIRED_AT, EXPIRES_AT = "host", "holder", "acquiredAt", "expiresAt"
ATTRIBUTES = (HOST, HOLDER, ACQUIRED_AT, EXPIRES_AT)  # every attribute the lock's item has (the IAM condition)
