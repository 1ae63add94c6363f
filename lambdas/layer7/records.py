"""The records the workflow keeps on the Kubernetes objects it changed, each in an annotation as JSON.

``milvus-layer7/setup`` (the Ingress: the setup's request), ``milvus-layer7/dns-replaced``
(the Ingress: what UpsertDns replaced), ``milvus-layer7/layer4`` (the Service: what
RemoveLayer4 removed). Plain dicts only, no Kubernetes client: every step may read them.
"""

from __future__ import annotations

import json
from typing import Any


def json_annotation(obj: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    """The object the annotation ``name`` holds as JSON; None when it is missing, unreadable or not an object.

    A record edited by hand into something else reads as no record; each reader says what that means for
    its step.
    """
    text = (((obj or {}).get("metadata") or {}).get("annotations") or {}).get(name)
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
