"""``kubectl annotate --overwrite``: a person's hand edit of an object's annotations (issue 20's "edited Ingress").

kubectl sends it as a JSON merge patch (``types.MergePatchType``) of the object as it read it and as it changed
it, with the field manager ``kubectl-annotate`` unless ``--field-manager`` says otherwise (kubernetes/kubectl
``pkg/cmd/annotate/annotate.go``: ``AddFieldManagerFlagVar(cmd, &flags.FieldManager, "kubectl-annotate")``,
``jsonpatch.CreateMergePatch(oldData, newData)``, ``helper.Patch(namespace, name, types.MergePatchType, ...)``).
A value ``None`` removes the annotation (``kubectl annotate ... key-``: the merge patch's ``null``). It goes
through the stand-in's own patch path, so its admission and field-manager rules decide the result.
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
