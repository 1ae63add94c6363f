"""The annotation corpus (annotation_cases.json): cases from the load balancer controller's own tests and docs.

Why: Validate (lambdas/validate/annotations.py) and the controller stand-in
(sandbox/controller/annotations.py) are two ports of the same controller
code; neither may import the other, so this corpus is what holds them to the
controller and so to each other. tests/unit/test_annotation_corpus.py runs
every case through Validate, tests/sandbox/test_annotation_corpus.py through
the stand-in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_DATA = json.loads((Path(__file__).parent / "annotation_cases.json").read_text())
PREFIX: str = _DATA["prefix"]
INGRESS: dict[str, Any] = _DATA["ingress"]
# What the workflow sets itself (apply_ingress workflow_annotations); a case may change only those a caller
# reaches through another input field: scheme (`scheme`) and listen-ports (`listenPort`).
WORKFLOW_ANNOTATIONS: dict[str, str] = INGRESS["annotations"]
THROUGH_INPUT_FIELDS = frozenset({"scheme", "listen-ports"})


@dataclass(frozen=True)
class Case:
    name: str
    annotations: dict[str, str]
    accepted: bool
    reason: str | None
    source: str

    def ingress_annotations(self) -> dict[str, str]:
        """The annotations as they reach the Ingress: the workflow's own, the case's over them, prefixed."""
        return {PREFIX + key: value for key, value in {**WORKFLOW_ANNOTATIONS, **self.annotations}.items()}

    def callers(self) -> dict[str, str]:
        """The case's annotations a caller gives in ingressAnnotations (prefixed)."""
        return {PREFIX + key: value for key, value in self.annotations.items() if key not in WORKFLOW_ANNOTATIONS}

    def input_fields(self) -> dict[str, Any]:
        """The other input fields the case's workflow-owned annotations come from."""
        merged = {**WORKFLOW_ANNOTATIONS, **self.annotations}
        (port,) = [entry["HTTPS"] for entry in json.loads(merged["listen-ports"])]
        return {"scheme": merged["scheme"], "listenPort": port}


CASES: list[Case] = [Case(name=c["name"], annotations=c["annotations"], accepted=c["accepted"],
                          reason=c.get("reason"), source=c["source"]) for c in _DATA["cases"]]
