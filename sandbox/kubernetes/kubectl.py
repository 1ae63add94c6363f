"""``kubectl annotate --overwrite``: a person's hand edit of an object's annotations (issue 20's "edited Ingress").

kubectl sends a JSON merge patch of the object as read and as changed, field manager ``kubectl-annotate`` unless
``--field-manager`` says otherwise (kubernetes/kubectl ``pkg/cmd/annotate/annotate.go``:
``AddFieldManagerFlagVar(cmd, &flags.FieldManager, "kubectl-annotate")``, ``jsonpatch.CreateMergePatch``,
``helper.Patch(..., types.MergePatchType, ...)``). A value ``None`` removes the annotation (``key-``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.kubernetes.standin import KubernetesStandIn

FIELD_MANAGER = "kubectl-annotate"
MERGE_PATCH = "application/merge-patch+json"


def annotate(kube: KubernetesStandIn, kind_plural: str, namespace: str, name: str,
             annotations: Mapping[str, str | None]) -> dict[str, Any]:
    """``kubectl annotate --overwrite <kind>/<name> key=value ... key-``: the object after."""
    return kube.patch(kind_plural, namespace, name, {"metadata": {"annotations": dict(annotations)}},
                      content_type=MERGE_PATCH, manager=FIELD_MANAGER)
