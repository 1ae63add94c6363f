"""The controller stand-in against the controller's own annotation cases (testkit/annotation_cases.json).

The stand-in's parse (sandbox/controller/annotations.py) must fail where the
real controller fails, with its error text, and pass where it passes, for the
Ingress the workflow writes: the workflow's defaults (layer7.ingress_defaults),
the case's annotations over them, the workflow's own annotations. Validate is
held to the same corpus in tests/unit/test_annotation_corpus.py. No server is
started.
"""

from __future__ import annotations

import pytest

from layer7.ingress_defaults import with_defaults
from sandbox.controller.annotations import AnnotationRejected, parse
from testkit.annotation_corpus import CASES, INGRESS, Case


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_stand_in_agrees_with_the_controller(case: Case):
    # Given the Ingress's annotations for the case, as ApplyIngress lays them
    annotations = {**with_defaults(case.callers()), **case.ingress_annotations()}
    # When the stand-in builds its model from them
    try:
        parse(annotations, f"{INGRESS['namespace']}/{INGRESS['name']}", backends=[INGRESS["service"]])
        refused = None
    except AnnotationRejected as e:
        refused = e.message
    # Then it refuses what the controller refuses, in the controller's words
    if case.accepted:
        assert refused is None, f"{case.source}: the controller accepts it"
    else:
        assert refused is not None, f"{case.source}: the controller refuses it: {case.reason}"
        assert case.reason is not None and case.reason in refused
