"""The three patch flavours the workflow may send, on plain dicts.

kmock merges every PATCH body naively (dicts merged, lists replaced). A real
API server distinguishes JSON merge patch (RFC 7386), strategic merge patch
(lists such as Service ``spec.ports`` merged by key, ``$patch`` directives)
and server-side apply (field ownership per manager: conflicts without
``force``, fields a manager stops applying are removed). Those differences
decide whether an idempotent re-run of the workflow changes anything, so they
are reproduced here for the lists the workflow touches. Lists not listed in
ASSOCIATIVE are atomic (replaced whole), as Ingress ``rules``/``tls`` are.
"""

from __future__ import annotations

import copy
import json
from typing import Any

# Associative lists: path of the list (list items skipped) -> key fields.
ASSOCIATIVE: dict[tuple[str, ...], tuple[str, ...]] = {
    ("spec", "ports"): ("port", "protocol"),
    ("metadata", "ownerReferences"): ("uid",),
    ("spec", "template", "spec", "containers"): ("name",),
}
KEY_DEFAULTS = {"protocol": "TCP"}

Path = tuple[Any, ...]  # str segments for map keys, ("k", (values...)) for associative list items


class PatchError(ValueError):
    """The patch body cannot be applied (422/400 in the API)."""


def _schema_path(path: Path) -> tuple[str, ...]:
    return tuple(p for p in path if isinstance(p, str))


def _item_key(item: Any, keys: tuple[str, ...]) -> tuple[Any, ...]:
    if not isinstance(item, dict):
        raise PatchError("associative list items must be objects")
    return tuple(item.get(k, KEY_DEFAULTS.get(k)) for k in keys)


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
        elif isinstance(value, list) and _schema_path(sub) in ASSOCIATIVE:
            result[key] = _merge_list(result.get(key) or [], value, ASSOCIATIVE[_schema_path(sub)][:1], sub)
        else:
            merged = strategic_merge(result.get(key), value, sub)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
    return result


def _merge_list(current: list[Any], patch: list[Any], keys: tuple[str, ...], path: Path,
                directives: bool = True) -> list[Any]:
    result = [copy.deepcopy(item) for item in current]
    for item in patch:
        key = _item_key(item, keys)
        index = next((i for i, old in enumerate(result) if _item_key(old, keys) == key), None)
        if directives and item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
        elif index is None:
            result.append({k: v for k, v in item.items() if not k.startswith("$")})
        else:
            result[index] = strategic_merge(result[index], item, path)
    return result


def leaves(obj: Any, path: Path = ()) -> dict[Path, Any]:
    """The fields of an object as SSA tracks them: path -> value (atomic lists and empty maps are leaves)."""
    if isinstance(obj, dict) and obj:
        out: dict[Path, Any] = {}
        for key, value in obj.items():
            out.update(leaves(value, path + (key,)))
        return out
    keys = ASSOCIATIVE.get(_schema_path(path))
    if isinstance(obj, list) and keys:
        out = {}
        for item in obj:
            item_path = path + (("k", _item_key(item, keys)),)
            out.update(leaves(item, item_path) or {item_path: {}})
            for k in keys:  # the key fields are owned by whoever owns the item
                out.setdefault(item_path + (k,), item.get(k, KEY_DEFAULTS.get(k)))
        return out
    return {path: obj}


def get_path(obj: Any, path: Path) -> tuple[bool, Any]:
    for i, seg in enumerate(path):
        if isinstance(seg, tuple):
            keys = ASSOCIATIVE.get(_schema_path(path[:i]), ())
            obj = next((i for i in obj or [] if isinstance(i, dict) and _item_key(i, keys) == seg[1]), None)
            if obj is None:
                return False, None
        elif isinstance(obj, dict) and seg in obj:
            obj = obj[seg]
        else:
            return False, None
    return True, obj


def delete_path(obj: Any, path: Path) -> None:
    """Remove a field in place; an associative-list item whose key is removed goes away whole."""
    parent_found, parent = get_path(obj, path[:-1])
    last = path[-1]
    if not parent_found:
        return
    if isinstance(last, tuple) and isinstance(parent, list):
        keys = ASSOCIATIVE.get(_schema_path(path[:-1]), ())
        parent[:] = [i for i in parent if _item_key(i, keys) != last[1]]
    elif isinstance(parent, dict):
        parent.pop(last, None)


def apply_merge(target: Any, config: Any, path: Path = ()) -> Any:
    """Merge an applied configuration: maps recursively, associative lists by key, other values replaced."""
    if not isinstance(config, dict):
        if isinstance(config, list) and _schema_path(path) in ASSOCIATIVE and isinstance(target, list):
            keys = ASSOCIATIVE[_schema_path(path)]
            result = [copy.deepcopy(i) for i in target]
            for item in config:
                index = next((n for n, old in enumerate(result) if _item_key(old, keys) == _item_key(item, keys)), None)
                if index is None:
                    result.append(copy.deepcopy(item))
                else:
                    result[index] = apply_merge(result[index], item, path + (("k", _item_key(item, keys)),))
            return result
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
                keys = ASSOCIATIVE.get(_schema_path(path[:i]), ())
                name = "k:" + json.dumps(dict(zip(keys, seg[1])), separators=(",", ":"), sort_keys=True)
            else:
                name = f"f:{seg}"
            node = node.setdefault(name, {})
        if path and isinstance(path[-1], tuple):
            node.setdefault(".", {})
    return tree
