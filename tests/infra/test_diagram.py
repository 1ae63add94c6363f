"""README's state machine diagram is the synthesized definition's (tools/diagram.py)."""

from __future__ import annotations

import pytest

from tools import diagram
from tests.infra.conftest import ROOT


@pytest.fixture(scope="module")
def mermaid(default_synth) -> str:
    return diagram.to_mermaid(diagram.definition_from_template(default_synth.raw))


def test_readme_diagram_is_current(mermaid):
    block = diagram.current_block((ROOT / "README.md").read_text())
    assert block == diagram.markdown_block(mermaid), \
        "README.md's state machine diagram is stale: run `make diagram`"


def test_every_state_and_branch_is_drawn(mermaid, default_synth):
    for name in default_synth.definition()["States"]:
        assert name in mermaid, name
    assert "[*] --> Validate" in mermaid and "Succeed --> [*]" in mermaid and "Failed --> [*]" in mermaid
    assert "LoadBalancerReady_ --> VerifyGrpc : loadBalancer.ready == true" in mermaid
    assert "Layer4_ --> KeepLayer4 : request.layer4 == keep" in mermaid
    assert "Dns_ --> UpsertDns : request.hostedZoneId is present and not null" in mermaid
    assert "VerifyGrpc --> ExplainFailure : contract errors" in mermaid
    assert "VerifyGrpc --> RecordFailure : any other error" in mermaid
    assert "VerifyGrpc : retry VerificationFailed (6x, 10 s, backoff 2, at most 60 s)" in mermaid
    assert ("note right of Validate : every Lambda step: retry Lambda.* (6x, 10 s, backoff 2); "
            "retry Lambda.*, TransientError (3x, 2 s, backoff 2)") in mermaid
    assert "Layer4_ --> WaitForDrain : dnsRecord is not null" in mermaid


def test_replace_block_keeps_the_rest():
    text = f"before\n{diagram.BEGIN}\nold\n{diagram.END}\nafter\n"
    replaced = diagram.replace_block(text, "stateDiagram-v2\n")
    assert replaced == f"before\n{diagram.BEGIN}\n```mermaid\nstateDiagram-v2\n```\n{diagram.END}\nafter\n"
    with pytest.raises(ValueError, match="markers"):
        diagram.replace_block("no markers", "x\n")
