"""``helm upgrade`` of the release that owns the Milvus Service: the chart's rendering sent again, as Helm sends it.

The drift issue 20 names first: RemoveLayer4 patched the live Service to ClusterIP while the release's manifest
still says LoadBalancer. An upgrade with the same values renders that manifest again and sends it one of two
ways (helm/helm ``pkg/kube/client.go``):

- client-side (Helm 3; Helm 4 on a release installed client-side): ``Client.Update`` ->
  ``patchResourceClientSide`` -> ``createPatch``: ``strategicpatch.CreateThreeWayMergePatch(original, target,
  current, patchMeta, true)`` (last manifest, new rendering, live object) sent as a strategic merge patch by the
  field manager ``getManagedFieldsManager()`` (``helm``). Every field the rendering has and the live object lacks
  or holds otherwise is put back (``spec.type``, ``loadBalancerSourceRanges``); a field only the live object has
  goes only if the last manifest had it and the new one does not, so the workflow's record annotation stays.
  ``three_way_patch`` is apimachinery ``pkg/util/strategicpatch/patch.go`` ``CreateThreeWayMergePatch`` for a
  Service: ``diffMaps(current, modified)`` ignoring deletions, merged with ``diffMaps(original, modified)``
  keeping only deletions.
- server-side (Helm 4's default for new releases): ``patchResourceServerSide``: the rendering as an apply patch,
  manager ``helm``, ``force`` only with ``--force-conflicts``; ``--server-side=auto`` follows the last release's
  ``ApplyMethod == "ssa"`` (fluxcd/helm-controller ``internal/action/upgrade.go`` copies that from Helm). Without
  force the API server answers 409 on every field another manager set since (``spec.type``, RemoveLayer4's).

Both go through the stand-in's own patch and apply paths, so its admission, Service and field-manager rules decide.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sandbox.kubernetes import patching
from sandbox.kubernetes.standin import HELM_MANAGER, KubernetesStandIn


def _diff(current: Any, modified: Any, path: tuple[str, ...], *, additions: bool, deletions: bool) -> dict[str, Any]:
    """strategicpatch ``diffMaps``: what turns ``current`` into ``modified``, additions/changes and/or deletions."""
    patch: dict[str, Any] = {}
    current = current if isinstance(current, dict) else {}
    if deletions:
        for key in current:
            if key not in modified:
                patch[key] = None
    for key, value in modified.items():
        sub = path + (key,)
        old = current.get(key)
        if key not in current:
            if additions:
                patch[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(old, dict):
            nested = _diff(old, value, sub, additions=additions, deletions=deletions)
            if nested:
                patch[key] = nested
        elif isinstance(value, list) and isinstance(old, list) and patching.keys_at(sub):
            items = _diff_list(old, value, sub, additions=additions, deletions=deletions)
            if items:
                patch[key] = items
        elif old != value and additions:
            patch[key] = copy.deepcopy(value)  # scalars and atomic lists are replaced whole
    return patch


def _diff_list(current: list[Any], modified: list[Any], path: tuple[str, ...], *, additions: bool,
               deletions: bool) -> list[Any]:
    """A merge-keyed list: each item by its key, changed items as their own diff with the key kept."""
    key = patching.keys_at(path)[0]  # a strategic merge patch's patchMergeKey
    by_key = {item.get(key): item for item in current if isinstance(item, dict)}
    wanted = {item.get(key) for item in modified if isinstance(item, dict)}
    out: list[Any] = []
    for item in modified:
        old = by_key.get(item.get(key))
        if old is None:
            if additions:
                out.append(copy.deepcopy(item))
            continue
        nested = _diff(old, item, path, additions=additions, deletions=deletions)
        if nested:
            out.append({key: item[key], **nested})
    if deletions:
        out += [{key: k, "$patch": "delete"} for k in by_key if k not in wanted]
    return out


def three_way_patch(original: Mapping[str, Any], target: Mapping[str, Any],
                    current: Mapping[str, Any]) -> dict[str, Any]:
    """``CreateThreeWayMergePatch(original, modified=target, current, meta, overwrite=true)`` for a Service."""
    delta = _diff(dict(current), dict(target), (), additions=True, deletions=False)
    removed = _diff(dict(original), dict(target), (), additions=False, deletions=True)
    return patching.strategic_merge(removed, delta) if removed else delta


def upgrade(kube: KubernetesStandIn, manifest: Mapping[str, Any], *, original: Mapping[str, Any] | None = None,
            server_side: bool = False, force_conflicts: bool = False) -> dict[str, Any]:
    """``helm upgrade`` of one Service: ``manifest`` (the new rendering) sent as Helm sends it, the object after.

    ``original`` is the last release's manifest (default: the same rendering, an upgrade with unchanged values).
    A refused request raises the stand-in's ``ApiError`` (server-side without ``force_conflicts``: 409).
    """
    meta = manifest["metadata"]
    namespace, name = meta.get("namespace") or "default", meta["name"]
    if server_side:
        return kube.apply("services", namespace, name, dict(manifest), manager=HELM_MANAGER, force=force_conflicts)
    current = kube.get("services", namespace, name)
    if current is None:  # Update creates what the new release has and the cluster lacks
        return kube.create("services", namespace, dict(manifest), manager=HELM_MANAGER)
    patch = three_way_patch(original if original is not None else manifest, manifest, current)
    if not patch:
        return current  # patchResourceClientSide: "{}" is not sent
    return kube.patch("services", namespace, name, patch, content_type="application/strategic-merge-patch+json",
                      manager=HELM_MANAGER)
