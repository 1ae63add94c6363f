"""docs/WORKFLOWS.md's state machine diagrams are the synthesized definitions' (tools/diagram.py)."""

from __future__ import annotations

import pytest

from tests.infra.conftest import ROOT
from tools import diagram


@pytest.fixture(scope="module")
def mermaid(default_synth) -> str:
    return diagram.to_mermaid(diagram.definition_from_template(default_synth.raw))


@pytest.fixture(scope="module")
def undo_mermaid(default_synth) -> str:
    return diagram.to_mermaid(diagram.definition_from_template(default_synth.raw, "Undo"))


def test_the_drawn_diagrams_are_current(mermaid, undo_mermaid):
    readme = (ROOT / "docs" / "WORKFLOWS.md").read_text()
    assert diagram.current_block(readme) == diagram.markdown_block(mermaid), \
        "docs/WORKFLOWS.md's setup state machine diagram is stale: run `make diagram`"
    assert diagram.current_block(readme, "Undo") == diagram.markdown_block(undo_mermaid), \
        "docs/WORKFLOWS.md's undo state machine diagram is stale: run `make diagram`"


def test_every_undo_state_and_branch_is_drawn(undo_mermaid, default_synth):
    for name in default_synth.definition("Undo")["States"]:
        assert name in undo_mermaid, name
    assert "[*] --> ValidateUndo" in undo_mermaid and "Succeed --> [*]" in undo_mermaid
    assert "Layer4Ready_ --> VerifyLayer4 : layer4.ready == true" in undo_mermaid
    assert "DnsRestored_ --> DeleteIngress : dnsRecord is null" in undo_mermaid
    assert "AlbRemoved_ --> CertificatesNotLookedAt : albRemoval.done == true" in undo_mermaid
    assert "CertificatesDone_ --> WaitForCertificatesUnused : otherwise" in undo_mermaid
    assert "VerifyLayer4 : retry VerificationFailed (6x, 10 s, backoff 2, at most 60 s)" in undo_mermaid


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
    assert ("note right of Validate : every Lambda step: retry Lambda.* (6x, 10 s, backoff 2, jitter); "
            "retry Lambda.*, TransientError (5x, 2 s, backoff 2, at most 30 s, jitter)") in mermaid
    assert "Drain_ --> WaitForDrain : dnsRecord is not null" in mermaid


def test_replace_block_keeps_the_rest():
    text = f"before\n{diagram.BEGIN}\nold\n{diagram.END}\nafter\n"
    replaced = diagram.replace_block(text, "stateDiagram-v2\n")
    assert replaced == f"before\n{diagram.BEGIN}\n```mermaid\nstateDiagram-v2\n```\n{diagram.END}\nafter\n"
    begin, end = diagram.WORKFLOWS["Undo"]
    both = f"{text}{begin}\nold\n{end}\n"
    assert diagram.replace_block(both, "undo\n", "Undo") == f"{text}{begin}\n```mermaid\nundo\n```\n{end}\n"
    with pytest.raises(ValueError, match="markers"):
        diagram.replace_block("no markers", "x\n")
