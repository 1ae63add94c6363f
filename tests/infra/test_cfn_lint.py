"""cfn-lint finds no error in the synthesized templates."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import lint_all


@pytest.mark.parametrize("fixture", ["default_synth", "vpc_synth", "full_synth"])
def test_cfn_lint_has_no_error(fixture, request):
    synth = request.getfixturevalue(fixture)
    matches = lint_all(json.dumps(synth.raw))
    errors = [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches
              if m.rule.severity.lower() == "error"]
    assert errors == []
