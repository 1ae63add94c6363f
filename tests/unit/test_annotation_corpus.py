"""Validate against the controller's own annotation cases (testkit/annotation_cases.json).

The product's port of the controller's checks (validate/annotations.py) must
refuse what the controller refuses and accept what it accepts, for the
annotations that reach the workflow's Ingress. The stand-in is held to the
same corpus in tests/sandbox/test_annotation_corpus.py.
"""

from __future__ import annotations

import pytest

from layer7.environment import FunctionEnvironment
from layer7.errors import InvalidInput
from testkit.annotation_corpus import CASES, INGRESS, THROUGH_INPUT_FIELDS, WORKFLOW_ANNOTATIONS, Case
from validate.logic import validate

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-tls-AbCdEf"
STACK = FunctionEnvironment(cluster_name="milvus-eks", region="us-east-1", listen_ports=(443, 8443))


def _input(case: Case) -> dict[str, object]:
    return {"host": "milvus.example.com", "certificate": {"secretArn": SECRET_ARN},
            "namespace": INGRESS["namespace"], "ingressName": INGRESS["name"], "serviceName": INGRESS["service"],
            **case.input_fields(), "ingressAnnotations": case.callers()}


def test_the_corpus_changes_only_what_a_caller_can_reach():
    # Given the corpus; Then no case sets a workflow-owned annotation the input cannot change
    assert [c.name for c in CASES if set(c.annotations) & set(WORKFLOW_ANNOTATIONS) - THROUGH_INPUT_FIELDS] == []
    assert [c.name for c in CASES if not c.accepted and not c.reason] == []
    assert 60 <= len(CASES) <= 150


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validate_agrees_with_the_controller(case: Case):
    # Given the case's annotations as the caller gives them
    # When Validate reads the input
    try:
        validate(_input(case), STACK)
        refused = None
    except InvalidInput as e:
        refused = str(e)
    # Then it refuses exactly what the controller refuses, naming the annotation
    if case.accepted:
        assert refused is None, f"{case.source}: the controller accepts it"
    else:
        assert refused is not None, f"{case.source}: the controller refuses it: {case.reason}"
        assert any(f"ingressAnnotations.{key}" in refused for key in case.callers()), refused
