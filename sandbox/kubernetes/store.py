"""Object lifecycle on top of kmock's object history: create, update, patch, delete, list.

kmock keeps every version of every object and streams watch events; this mixin decides what the next version
is, as kube-apiserver would (``semantics``, ``patching``, ``deletion``), and tracks field managers so server-side
apply can report conflicts and remove fields a manager stopped applying. It runs on the emulator's loop, under
its lock.
"""

from __future__ import annotations

import copy
import datetime
import json
import secrets
import uuid
from typing import Any

from kmock import resource

from sandbox.kubernetes import admission, deletion, patching, semantics, services
from sandbox.kubernetes.semantics import ApiError, Kind

SYSTEM_META = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
               *deletion.DELETION_FIELDS)
# Fields no manager owns: identity, and what the server writes itself.
UNTRACKED = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"),
             *(("metadata", key) for key in SYSTEM_META)}


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _strip(obj: dict[str, Any], *, status: bool) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    for key in SYSTEM_META:
        obj.get("metadata", {}).pop(key, None)
    if status:
        obj.pop("status", None)
    return obj


def _tracked(obj: dict[str, Any]) -> dict[patching.Path, Any]:
    return {p: v for p, v in patching.leaves(obj).items() if p[:2] not in UNTRACKED and p[:1] != ("status",)}


def _dotted(path: patching.Path) -> str:
    out = ""
    for seg in path:
        out += f"[{','.join(f'{v!r}' for v in seg[1])}]" if isinstance(seg, tuple) else f".{seg}"
    return out


class StoreMixin:
    """Mixed into the emulator; needs ``_objects``, ``_buses``, ``_rv``, ``_owners`` and ``validating_webhooks``."""

    validating_webhooks: list[Any]  # the emulator's attrs field

    # Declared for the type checker only: server.Emulator (and kmock below it) defines them.
    _objects: Any
    _buses: dict[Any, Any]
    _rv: int
    _owners: dict[Any, Any]
    _times: dict[Any, dict[str, str]]

    def _res(self, kind: Kind) -> resource:
        return resource(group=kind.group, version=kind.version, plural=kind.plural)

    def _key(self, kind: Kind, namespace: str | None, name: str) -> tuple[Any, ...]:
        return (self._res(kind), namespace if kind.namespaced else None, name)

    def _current(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any] | None:
        key = self._key(kind, namespace, name)
        if key in self._objects and not self._objects[key].deleted:
            return copy.deepcopy(self._objects[key].raw)
        return None

    def _existing(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any]:
        old = self._current(kind, namespace, name)
        if old is None:
            raise semantics.not_found(kind, name)
        return old

    def _lookup(self, plural: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """What a webhook reads while the request holds the lock (a webhook's own client, in effect)."""
        return self._current(semantics.BY_PLURAL[plural], namespace, name)

    def _used_node_ports(self) -> set[int]:
        return {p.get("nodePort") for (res, _, _), o in self._objects.items() if res.plural == "services"
                and not o.deleted for p in (o.raw.get("spec") or {}).get("ports") or [] if p.get("nodePort")}

    async def _store(self, kind: Kind, obj: dict[str, Any], event: str, manager: str | None) -> dict[str, Any]:
        """Keep the new version; ``manager`` is who changed it (None: a deletion mark, no field manager's doing).

        A managedFields entry's ``time`` moves only for the manager whose write changed the object; the others
        keep theirs (kubernetes/kubernetes, staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/
        managedfieldsupdater.go: Update sets ``managed.Times()[manager]`` only "if the current operation took any
        fields", Apply only when the apply changed the object; a no-op write stores nothing at all).
        """
        meta = obj["metadata"]
        key = self._key(kind, meta.get("namespace"), meta["name"])
        owners = self._owners.get(key, {})
        times = self._times.setdefault(key, {})
        if manager is not None:
            times[manager] = now_iso()
        meta["managedFields"] = [
            {"manager": m, "operation": op, "apiVersion": kind.api_version, "time": times.setdefault(m, now_iso()),
             "fieldsType": "FieldsV1", "fieldsV1": patching.fields_v1(paths)}
            for m, (op, paths) in owners.items() if paths]
        if key in self._objects:
            self._objects[key].history.append(copy.deepcopy(obj))
        else:
            self._objects[key] = copy.deepcopy(obj)
        await self._buses[self._res(kind)].put({"type": event, "object": copy.deepcopy(obj)})
        return obj

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    async def op_create(self, kind: Kind, namespace: str | None, body: Any, manager: str, *,
                        internal: bool = False, operation: str = "Update") -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body of the request was in an unknown format")
        obj = _strip(body, status=kind.has_status and not internal)
        meta = obj.setdefault("metadata", {})
        if kind.namespaced:
            if meta.get("namespace") not in (None, namespace):
                raise ApiError(400, "BadRequest", "the namespace of the provided object does not match "
                               "the namespace sent on the request")
            meta["namespace"] = namespace
            if self._current(semantics.BY_PLURAL["namespaces"], None, namespace or "") is None:
                raise semantics.not_found(semantics.BY_PLURAL["namespaces"], namespace or "")
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
        name = meta.get("name") or ""
        semantics.apply_defaults(kind, obj)
        semantics.validate(kind, obj)
        if self._current(kind, namespace, name) is not None:
            raise ApiError(409, "AlreadyExists", f'{kind.group_resource} "{name}" already exists',
                           name=name, group=kind.group, kind=kind.plural)
        if kind.plural == "services":
            services.allocate(obj, self._used_node_ports())
        admission.admit(self.validating_webhooks, kind, "CREATE", obj, None, self._lookup)
        meta.update(uid=str(uuid.uuid4()), resourceVersion=self._next_rv(), creationTimestamp=now_iso())
        if kind.plural == "ingresses":
            meta["generation"] = 1
        self._owners[self._key(kind, namespace, name)] = {manager: (operation, set(_tracked(body)))}
        return await self._store(kind, obj, "ADDED", manager)

    async def op_update(self, kind: Kind, namespace: str | None, name: str, new: dict[str, Any], manager: str, *,
                        subresource: str | None = None, check_rv: bool = False, internal: bool = False,
                        applied: dict[str, Any] | None = None) -> dict[str, Any]:
        old = self._existing(kind, namespace, name)
        if not isinstance(new, dict):
            raise ApiError(400, "BadRequest", "the body of the request was in an unknown format")
        new = copy.deepcopy(new)
        meta = new.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise ApiError(400, "BadRequest", f"the name of the object ({meta.get('name')}) does not match "
                           f"the name on the URL ({name})")
        if check_rv and meta.get("resourceVersion") not in (None, old["metadata"]["resourceVersion"]):
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {kind.group_resource} "{name}": '
                           "the object has been modified; please apply your changes to the latest version "
                           "and try again", name=name, group=kind.group, kind=kind.plural)
        if subresource == "status":
            new = dict(copy.deepcopy(old), status=new.get("status") or {})
        elif kind.has_status and not internal:
            new["status"] = copy.deepcopy(old.get("status") or {})
        meta = new["metadata"]
        for key in ("uid", "creationTimestamp", "generation", "name", "namespace", *deletion.DELETION_FIELDS):
            if key in old["metadata"]:
                meta[key] = old["metadata"][key]
            elif key in deletion.DELETION_FIELDS:
                meta.pop(key, None)  # only DELETE starts a deletion
        deletion.refuse_new_finalizers(kind, name, old, new)
        semantics.apply_defaults(kind, new)
        if kind.plural == "services" and subresource != "status":
            services.patch_allocated_values(old, new)  # REST.beginUpdate, then BeforeUpdate's PrepareForUpdate
            services.drop_type_dependent_fields(old, new)
        semantics.validate(kind, new, old)
        if kind.plural == "services":
            services.allocate(new, self._used_node_ports() - {
                p.get("nodePort") for p in (old.get("spec") or {}).get("ports") or []})
        admission.admit(self.validating_webhooks, kind, "UPDATE", new, old, self._lookup, subresource)
        self._record_owners(kind, old, new, manager, applied)
        if deletion.should_delete_during_update(old, new):
            await self._remove(kind, namespace, name)
            return new  # deleteWithoutFinalizers answers with the object it deleted
        if _strip(new, status=False) == _strip(old, status=False):
            return old  # a no-op write keeps the resourceVersion, as the API server does
        if kind.plural == "ingresses" and new.get("spec") != old.get("spec"):
            meta["generation"] = old["metadata"].get("generation", 1) + 1
        meta["resourceVersion"] = self._next_rv()
        return await self._store(kind, new, "MODIFIED", manager)

    def _record_owners(self, kind: Kind, old: dict[str, Any], new: dict[str, Any], manager: str,
                       applied: dict[str, Any] | None) -> None:
        owners = self._owners.setdefault(self._key(kind, old["metadata"].get("namespace"), old["metadata"]["name"]), {})
        before, after = _tracked(old), _tracked(new)
        changed = {p for p, v in after.items() if before.get(p, patching) != v}
        mine = set(_tracked(applied)) if applied is not None else changed
        for other, (op, paths) in list(owners.items()):
            if other != manager:
                owners[other] = (op, {p for p in paths if p in after and p not in changed})
        if applied is not None:
            owners[manager] = ("Apply", mine)
        else:
            paths = owners.get(manager, ("Update", set()))[1]
            owners[manager] = ("Update", {p for p in paths | mine if p in after})

    async def op_apply(self, kind: Kind, namespace: str | None, name: str, config: Any, manager: str,
                       force: bool) -> dict[str, Any]:
        if not isinstance(config, dict):
            raise ApiError(400, "BadRequest", "the body of the request was in an unknown format")
        if config.get("kind") != kind.kind or config.get("apiVersion") != kind.api_version:
            raise ApiError(400, "BadRequest", f"apply configuration must set apiVersion {kind.api_version} "
                           f"and kind {kind.kind}")
        config = _strip(config, status=kind.has_status)
        config.setdefault("metadata", {})["name"] = config.get("metadata", {}).get("name", name)
        old = self._current(kind, namespace, name)
        if old is None:
            return await self.op_create(kind, namespace, config, manager, operation="Apply")
        owners = self._owners.setdefault(self._key(kind, namespace, name), {})
        current, wanted = _tracked(old), _tracked(config)
        conflicts = sorted({(o, p) for p, v in wanted.items() if p in current and current[p] != v
                            for o, (_, paths) in owners.items() if o != manager and p in paths}, key=repr)
        if conflicts and not force:
            causes = [{"reason": "FieldManagerConflict", "message": f'conflict with "{o}"', "field": _dotted(p)}
                      for o, p in conflicts]
            raise ApiError(409, "Conflict", f"Apply failed with {len(conflicts)} conflict(s): " + "; ".join(
                f'conflict with "{o}": {_dotted(p)}' for o, p in conflicts), causes=causes, name=name,
                group=kind.group, kind=kind.plural)
        op, previous = owners.get(manager, ("Apply", set()))
        previous = previous if op == "Apply" else set()
        others = set().union(*(paths for o, (_, paths) in owners.items() if o != manager))
        base = copy.deepcopy(old)
        for path in sorted(previous - set(wanted) - others, key=len, reverse=True):
            patching.delete_path(base, path)
        new = patching.apply_merge(base, config)
        return await self.op_update(kind, namespace, name, new, manager, applied=config)

    async def op_patch(self, kind: Kind, namespace: str | None, name: str, content_type: str, body: Any,
                       manager: str, *, subresource: str | None = None) -> dict[str, Any]:
        old = self._existing(kind, namespace, name)
        if content_type == "application/merge-patch+json":
            new = patching.merge_patch(old, body)
        elif content_type == "application/strategic-merge-patch+json":
            try:
                new = patching.strategic_merge(old, body)
            except patching.PatchError as e:  # a plain error: 500, reason StatusReasonUnknown (""), its text
                raise ApiError(500, "", str(e)) from None  # (responsewriters/status.go ErrorToAPIStatus)
        else:
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                           "accepted media types include: application/merge-patch+json, "
                           "application/strategic-merge-patch+json, application/apply-patch+yaml")
        if not isinstance(new, dict):
            raise ApiError(400, "BadRequest", "the patch does not produce an object")
        return await self.op_update(kind, namespace, name, new, manager, subresource=subresource)

    async def op_delete(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any]:
        """Delete now, or, while finalizers remain, mark the object as being deleted and answer with it."""
        old = self._existing(kind, namespace, name)
        if deletion.waits_for_finalizers(kind, old):
            if deletion.mark_as_deleting(old["metadata"], now_iso()):
                old["metadata"]["resourceVersion"] = self._next_rv()
                return await self._store(kind, old, "MODIFIED", None)
            return old  # already being deleted: a second DELETE changes nothing
        await self._remove(kind, namespace, name)
        return {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Success",
                "details": {"name": name, "group": kind.group, "kind": kind.plural, "uid": old["metadata"]["uid"]}}

    async def _remove(self, kind: Kind, namespace: str | None, name: str) -> None:
        doomed = [self._key(kind, namespace, name)]
        if kind.plural == "namespaces":
            doomed += [k for k, o in self._objects.items() if k[1] == name and not o.deleted]
        for key in doomed:
            final = copy.deepcopy(self._objects[key].raw)
            self._objects[key].delete()
            self._owners.pop(key, None)
            self._times.pop(key, None)
            await self._buses[key[0]].put({"type": "DELETED", "object": final})

    def op_list(self, kind: Kind, namespace: str | None, field_selector: str | None = None,
                label_selector: str | None = None) -> dict[str, Any]:
        items = [copy.deepcopy(o.raw) for (res, ns, _), o in self._objects.items()
                 if res.plural == kind.plural and res.group == kind.group and not o.deleted
                 and (namespace is None or not kind.namespaced or ns == namespace)]
        items = [o for o in items if semantics.field_selector_matches(kind, o, field_selector)
                 and semantics.label_selector_matches(o, label_selector)]
        items.sort(key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"]))
        return {"apiVersion": kind.api_version, "kind": f"{kind.kind}List",
                "metadata": {"resourceVersion": str(self._rv)}, "items": items}

    async def op_event(self, events: Kind, namespace: str, involved: dict[str, Any], type_: str, reason: str,
                       message: str, component: str, name: str | None = None) -> dict[str, Any]:
        """Create an Event, or, given the ``name`` of one already recorded, count it up as client-go's logger does."""
        existing = self._current(events, namespace, name) if name else None
        if existing is not None:
            existing.update(count=existing.get("count", 1) + 1, lastTimestamp=now_iso(), message=message)
            return await self.op_update(events, namespace, existing["metadata"]["name"], existing, component)
        stamp = now_iso()
        body = {"metadata": {"name": f"{involved.get('name')}.{secrets.token_hex(8)}", "namespace": namespace},
                "involvedObject": involved, "type": type_, "reason": reason, "message": message,
                "source": {"component": component}, "reportingComponent": component, "reportingInstance": "",
                "firstTimestamp": stamp, "lastTimestamp": stamp, "eventTime": None, "count": 1}
        return await self.op_create(events, namespace, json.loads(json.dumps(body)), component, internal=True)
