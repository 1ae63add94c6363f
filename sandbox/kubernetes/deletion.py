"""Deleting an object that has finalizers, as kube-apiserver does for every kind but pods.

Sources: kubernetes/apiserver ``pkg/registry/generic/registry/store.go`` (``Delete``,
``updateForGracefulDeletionAndFinalizers``, ``markAsDeleting``, ``ShouldDeleteDuringUpdate``),
``pkg/registry/rest/update.go`` (``BeforeUpdate``), kubernetes/apimachinery ``pkg/api/validation/objectmeta.go``
(``ValidateNoNewFinalizers``):

- DELETE of an object with finalizers only marks it (``deletionTimestamp`` now, ``deletionGracePeriodSeconds``
  0, ``generation`` + 1 the first time) and answers 200 with it; it stays readable. A second DELETE changes nothing.
- While it is being deleted, an update keeps both deletion fields ("an update can never remove/change a deletion
  timestamp") and may add no finalizer; the update that leaves no finalizer deletes it.
- Namespaces are left out: their ``spec.finalizers`` are the namespace controller's, and the stand-in deletes a
  namespace with what is in it at once.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.kubernetes.semantics import ApiError, Kind

DELETION_FIELDS = ("deletionTimestamp", "deletionGracePeriodSeconds")


def waits_for_finalizers(kind: Kind, obj: dict[str, Any]) -> bool:
    """Whether DELETE only marks the object (it has finalizers) rather than removing it."""
    return kind.plural != "namespaces" and bool((obj.get("metadata") or {}).get("finalizers"))


def mark_as_deleting(meta: dict[str, Any], now: str) -> bool:
    """``markAsDeleting`` on an object's metadata; False when it was already marked (nothing to write)."""
    if "deletionTimestamp" in meta:
        return False
    if meta.get("generation"):
        meta["generation"] += 1
    meta.update(deletionTimestamp=now, deletionGracePeriodSeconds=0)
    return True


def refuse_new_finalizers(kind: Kind, name: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """``ValidateNoNewFinalizers`` for an object being deleted, with its message (Go's ``%#v`` of the set)."""
    if "deletionTimestamp" not in old["metadata"]:
        return
    extra = sorted(set(new["metadata"].get("finalizers") or []) - set(old["metadata"].get("finalizers") or []))
    if not extra:
        return
    shown = "[]string{" + ", ".join(json.dumps(f) for f in extra) + "}"
    message = f"no new finalizers can be added if the object is being deleted, found new finalizers {shown}"
    raise ApiError(422, "Invalid", f'{kind.kind} "{name}" is invalid: metadata.finalizers: Forbidden: {message}',
                   name=name, group=kind.group, kind=kind.kind,
                   causes=[{"reason": "FieldValueForbidden", "message": f"Forbidden: {message}",
                            "field": "metadata.finalizers"}])


def should_delete_during_update(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """``ShouldDeleteDuringUpdate``: no finalizer left, the old object marked, its grace period 0 or none."""
    old_meta, new_meta = old["metadata"], new["metadata"]
    return (not new_meta.get("finalizers") and "deletionTimestamp" in old_meta
            and not old_meta.get("deletionGracePeriodSeconds"))
