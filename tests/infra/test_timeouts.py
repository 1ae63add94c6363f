"""Each state machine's timeout covers the longest run its inputs allow, computed here from the definition alone.

Independent of stacks/timeouts.py: each Task at its worst (every retrier of
its definition exhausted, each attempt running to its function's timeout in
the template, the waits between attempts with their MaxDelaySeconds), each
loop bounded by what ends it (albTimeoutSeconds' bound for the ALB wait,
CheckDnsChange's own bound for Route 53, DeleteCertificate's for ACM), the drain wait by the largest TTL
UpsertDns accepts plus layer4DrainSeconds' bound, then the longest path
through the graph, failure path included.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from check_dns_change.logic import DNS_SYNC_TIMEOUT_SECONDS
from delete_certificate.logic import IN_USE_BUDGET_SECONDS
from upsert_dns.logic import ALIAS_TTL_SECONDS, MAX_OLD_TTL_SECONDS

CONTRACT = (Path(__file__).resolve().parents[2] / "docs" / "CONTRACT.md").read_text()


def contract_bound(field: str, *, undo: bool = False) -> int:
    """The upper bound the contract's input table gives a field, "(lo-hi)" in its row (the undo's own table
    comes after its heading)."""
    text = CONTRACT.split("## The undo workflow", 1)[1] if undo else CONTRACT
    row = next(line for line in text.splitlines() if line.startswith(f"| `{field}`"))
    bounds = re.search(r"\((\d+)-(\d+)\)", row)
    assert bounds, f"no (lo-hi) in the contract's row for {field}"
    return int(bounds.group(2))


def function_timeouts(synth) -> dict[str, int]:
    """State name -> its Lambda function's Timeout, from the template (construct ids Steps/<state>)."""
    found = {}
    for logical_id, resource in synth.of_type("AWS::Lambda::Function").items():
        match = re.match(r"^Steps([A-Z][A-Za-z0-9]+?)[0-9A-F]{8}$", logical_id)
        if match:
            found[match.group(1)] = resource["Properties"]["Timeout"]
    return found


def retry_waits(retrier: dict) -> float:
    interval, rate = retrier.get("IntervalSeconds", 1), retrier.get("BackoffRate", 2.0)
    cap = retrier.get("MaxDelaySeconds", float("inf"))
    return sum(min(interval * rate ** k, cap) for k in range(retrier.get("MaxAttempts", 3)))


def task_worst(state: dict, timeout: float) -> float:
    retriers = state.get("Retry", [])
    attempts = 1 + sum(r.get("MaxAttempts", 3) for r in retriers)
    return attempts * timeout + sum(retry_waits(r) for r in retriers)


def successors(state: dict) -> list[str]:
    nexts = [state["Next"]] if "Next" in state else []
    nexts += [choice["Next"] for choice in state.get("Choices", [])]
    nexts += [state["Default"]] if "Default" in state else []
    nexts += [catcher["Next"] for catcher in state.get("Catch", [])]
    return nexts


def longest_run_seconds(synth, workflow: str = "Setup") -> float:
    definition = synth.definition(workflow)
    states, timeouts = definition["States"], function_timeouts(synth)
    # A loop's time is put on the Choice that leaves it (the Wait and the task inside it are on the branch that
    # goes back, which the longest path does not follow): a poll loop ends once its input bound has passed
    # (then one more look, after at most a 30 s wait); the DNS loop once CheckDnsChange gives up.
    dns_loop = DNS_SYNC_TIMEOUT_SECONDS + 5 + task_worst(states["CheckDnsChange"], timeouts["CheckDnsChange"])
    if workflow == "Setup":
        loop_exits = {"LoadBalancerReady?": contract_bound("albTimeoutSeconds") + 30, "DnsInSync?": dns_loop}
        in_loops = {"WaitForLoadBalancer", "WaitForDns", "CheckDnsChange"}
        drains = {"WaitForDrain": MAX_OLD_TTL_SECONDS + contract_bound("layer4DrainSeconds"),
                  "WaitForLayer4Drain": contract_bound("layer4DrainSeconds")}
    else:
        loop_exits = {
            "Layer4Ready?": contract_bound("layer4TimeoutSeconds", undo=True) + 30,
            "DnsInSync?": dns_loop,
            "AlbRemoved?": contract_bound("albTimeoutSeconds", undo=True) + 30,
            "CertificatesDone?": IN_USE_BUDGET_SECONDS + 30,  # DeleteCertificate's own budget for ACM's InUseBy
        }
        in_loops = {"WaitForLayer4", "WaitForDns", "CheckDnsChange", "WaitForAlbRemoval", "WaitForCertificatesUnused"}
        # the alias's TTL (UpsertDns's ALIAS_TTL_SECONDS) and layer7DrainSeconds
        drains = {"WaitForDnsDrain": ALIAS_TTL_SECONDS + contract_bound("layer7DrainSeconds", undo=True)}

    def cost(name: str) -> float:
        state = states[name]
        if name in loop_exits:
            return loop_exits[name]
        if name in in_loops:
            return 0.0
        if state["Type"] == "Wait":
            if "Seconds" in state:
                return state["Seconds"]
            return drains[name]
        if state["Type"] == "Task":
            timeout = timeouts.get(name, state.get("TimeoutSeconds"))
            assert timeout, f"{name} has no timeout"
            return task_worst(state, timeout)
        return 0.0

    @cache
    def longest_from(name: str, visiting: frozenset = frozenset()) -> float:
        if name in visiting:
            return 0.0  # a back edge: the loop's cost is on its Wait state
        following = [longest_from(n, visiting | {name}) for n in successors(states[name])]
        return cost(name) + max(following, default=0.0)

    return longest_from(definition["StartAt"])


def test_the_timeout_covers_the_longest_run_the_inputs_allow(default_synth):
    timeout = default_synth.definition()["TimeoutSeconds"]
    longest = longest_run_seconds(default_synth)
    assert longest <= timeout, f"the longest run takes {longest:.0f} s, the state machine allows {timeout} s"
    # and not wildly more: the bound is the one the stack computes, plus its margin
    assert timeout - longest <= 600


def test_the_timeout_follows_the_verify_retries_of_the_context(vpc_synth, default_synth):
    assert longest_run_seconds(vpc_synth) <= vpc_synth.definition()["TimeoutSeconds"]
    assert vpc_synth.definition()["TimeoutSeconds"] < default_synth.definition()["TimeoutSeconds"]


def test_the_undo_timeout_covers_the_longest_undo_the_inputs_allow(default_synth, vpc_synth):
    # Given the undo's definition: three loops bounded by their inputs, the drain by the alias's TTL and
    # layer7DrainSeconds
    for synth in (default_synth, vpc_synth):
        timeout = synth.definition("Undo")["TimeoutSeconds"]
        longest = longest_run_seconds(synth, "Undo")
        # Then its timeout covers it, with no more than the stack's margin to spare
        assert longest <= timeout, f"the longest undo takes {longest:.0f} s, the state machine allows {timeout} s"
        assert timeout - longest <= 600
