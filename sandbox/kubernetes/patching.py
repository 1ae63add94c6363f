"""The three patch flavours the workflow may send, on plain dicts.

kmock merges every PATCH body naively. A real API server distinguishes JSON merge patch (RFC 7386), strategic
merge patch (lists such as Service ``spec.ports`` merged by key, ``$patch`` directives) and server-side apply
(field ownership per manager). Those decide whether a re-run of the workflow changes anything, so they are
reproduced for the lists the workflow touches; lists not in ASSOCIATIVE are atomic, as Ingress ``rules`` are.
"""

from __future__ import annotations

import copy
import json
from typing import Any

# Associative lists: path of the list (list items skipped) -> key fields; a strategic merge patch matches on the
# first alone (ServiceSpec.ports: patchMergeKey "port", k8s.io/api core/v1 types.go), server-side apply on all.
ASSOCIATIVE: dict[tuple[str, ...], tuple[str, ...]] = {
    ("spec", "ports"): ("port", "protocol"),
    ("metadata", "ownerReferences"): ("uid",),
    ("spec", "template", "spec", "containers"): ("name",),
}
KEY_DEFAULTS = {"protocol": "TCP"}

Path = tuple[Any, ...]  # str segments for map keys, ("k", (values...)) for associative list items


class PatchError(ValueError):
    """The patch body cannot be applied. The API server answers strategicpatch's plain errors with a 500 and the
    error's text (handlers/patch.go interpretStrategicMergePatchError passes them through)."""


def keys_at(path: Path) -> tuple[str, ...]:
    """The key fields of the associative list at ``path``; () for an atomic list."""
    return ASSOCIATIVE.get(tuple(p for p in path if isinstance(p, str)), ())


def _item_key(item: Any, keys: tuple[str, ...]) -> tuple[Any, ...]:
    if not isinstance(item, dict):
        raise PatchError("associative list items must be objects")
    return tuple(item.get(k, KEY_DEFAULTS.get(k)) for k in keys)


def _index(items: list[Any], keys: tuple[str, ...], key: tuple[Any, ...]) -> int | None:
    return next((i for i, item in enumerate(items) if _item_key(item, keys) == key), None)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: Any, patch: Any, path: Path = ()) -> Any:
    """Strategic merge patch: merge patch plus keyed lists and the ``$patch`` directive."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # $retainKeys, $setElementOrder/...: ordering hints, nothing to keep
        sub = path + (key,)
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and keys_at(sub):
            result[key] = _merge_list(result.get(key) or [], value, keys_at(sub)[:1], sub, directives=True)
        else:
            merged = strategic_merge(result.get(key), value, sub)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
    return result


def _merge_list(current: list[Any], patch: list[Any], keys: tuple[str, ...], path: Path, *,
                directives: bool) -> list[Any]:
    """Items matched by key and merged (strategic merge, or apply); with ``directives``, ``$patch: delete``."""
    result = [copy.deepcopy(item) for item in current]
    for item in patch:
        if directives and isinstance(item, dict) and keys[0] not in item:  # strategicpatch mergeSliceWithout-
            raise PatchError(f"map: {_go(item)} does not contain declared merge key: {keys[0]}")  # SpecialElements
        key = _item_key(item, keys)
        index = _index(result, keys, key)
        if directives and item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
        elif index is None:
            result.append({k: copy.deepcopy(v) for k, v in item.items() if not (directives and k.startswith("$"))})
        elif directives:
            result[index] = strategic_merge(result[index], item, path)
        else:
            result[index] = apply_merge(result[index], item, path + (("k", key),))
    return result


def _go(value: Any) -> str:
    """A JSON value as Go's %v prints the map[string]interface{} it decodes to (mergepatch.ErrNoMergeKey)."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{_go(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go(item) for item in value) + "]"
    return "<nil>" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def leaves(obj: Any, path: Path = ()) -> dict[Path, Any]:
    """The fields of an object as SSA tracks them: path -> value (atomic lists and empty maps are leaves)."""
    if isinstance(obj, dict) and obj:
        out: dict[Path, Any] = {}
        for key, value in obj.items():
            out.update(leaves(value, path + (key,)))
        return out
    keys = keys_at(path)
    if isinstance(obj, list) and keys:
        out = {}
        for item in obj:
            item_path = path + (("k", _item_key(item, keys)),)
            out.update(leaves(item, item_path) or {item_path: {}})
            for k in keys:  # the key fields are owned by whoever owns the item
                out.setdefault(item_path + (k,), item.get(k, KEY_DEFAULTS.get(k)))
        return out
    return {path: obj}


def delete_path(obj: Any, path: Path) -> None:
    """Remove a field in place; an associative-list item whose key is removed goes away whole."""
    parent = obj
    for i, seg in enumerate(path[:-1]):
        if isinstance(seg, tuple) and isinstance(parent, list):
            index = _index(parent, keys_at(path[:i]), seg[1])
            parent = None if index is None else parent[index]
        else:
            parent = parent.get(seg) if isinstance(parent, dict) else None
    last = path[-1]
    if isinstance(last, tuple) and isinstance(parent, list):
        parent[:] = [i for i in parent if _item_key(i, keys_at(path[:-1])) != last[1]]
    elif isinstance(parent, dict):
        parent.pop(last, None)


def apply_merge(target: Any, config: Any, path: Path = ()) -> Any:
    """Merge an applied configuration: maps recursively, associative lists by key, other values replaced."""
    if isinstance(config, list) and keys_at(path) and isinstance(target, list):
        return _merge_list(target, config, keys_at(path), path, directives=False)
    if not isinstance(config, dict):
        return copy.deepcopy(config)
    merged = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in config.items():
        merged[key] = apply_merge(merged.get(key), value, path + (key,))
    return merged


def fields_v1(paths: set[Path]) -> dict[str, Any]:
    """Render owned paths in the managedFields ``FieldsV1`` format (``f:name``, ``k:{...}``)."""
    tree: dict[str, Any] = {}
    for path in sorted(paths, key=repr):
        node = tree
        for i, seg in enumerate(path):
            if isinstance(seg, tuple):
                keys = keys_at(path[:i])
                name = "k:" + json.dumps(dict(zip(keys, seg[1])), separators=(",", ":"), sort_keys=True)
            else:
                name = f"f:{seg}"
            node = node.setdefault(name, {})
        if path and isinstance(path[-1], tuple):
            node.setdefault(".", {})
    return tree
