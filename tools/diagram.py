"""The state machines as Mermaid ``stateDiagram-v2``, drawn from the synthesized definitions.

Drawn from the template, not from ``workflow.py`` and ``undo_workflow.py``, so
the pictures in docs/WORKFLOWS.md can only show what is deployed; tests/infra/test_diagram.py
fails when one is stale (``make diagram`` regenerates both).

    python -m tools.diagram                    # print the setup diagram
    python -m tools.diagram --workflow Undo    # print the undo diagram
    python -m tools.diagram --write docs/WORKFLOWS.md  # replace both blocks between their markers

The synth is in-process with placeholder layers (``skipLayerBundling``) and
``cdk.json``'s context. The definition is an ``Fn::Join`` around tokens (the
functions' ARNs, the partition); each becomes a placeholder (a function's
as a Lambda ARN, so its task reads as a Lambda task), which the diagram never
shows.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import deque
from pathlib import Path
from typing import Any

from stacks import names, paths

BEGIN = "<!-- state-machine:begin -->"
END = "<!-- state-machine:end -->"
# Each workflow's block in docs/WORKFLOWS.md: (begin, end) markers.
WORKFLOWS = {"Setup": (BEGIN, END), "Undo": ("<!-- undo-state-machine:begin -->", "<!-- undo-state-machine:end -->")}
_INDENT = "    "
_COMPARISONS = {"Equals": "==", "GreaterThan": ">", "GreaterThanEquals": ">=", "LessThan": "<",
                "LessThanEquals": "<=", "Matches": "matches"}


# --- from the template -----------------------------------------------------------

def synthesize_template() -> dict[str, Any]:
    """The stack's template for cdk.json's context, placeholder layers."""
    import aws_cdk as cdk  # noqa: PLC0415 - jsii starts Node: only when a diagram is drawn

    if str(paths.PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(paths.PROJECT_ROOT))
    import app as app_module  # noqa: PLC0415 - after the project root is on sys.path

    # The diagram does not depend on the network: vpcId=none unless cdk.json names a VPC.
    context = {"vpcId": "none", **json.loads((paths.PROJECT_ROOT / "cdk.json").read_text())["context"],
               "skipLayerBundling": True}
    with tempfile.TemporaryDirectory(prefix="diagram-cdk.out-") as outdir:
        app, _ = app_module.build_app(cdk.App(context=context, outdir=outdir))
        return app.synth().get_stack_by_name(names.STACK_NAME).template


def _placeholder(token: Any, resources: dict[str, Any]) -> str:
    if isinstance(token, dict) and "Fn::GetAtt" in token:
        logical_id, attribute = token["Fn::GetAtt"]
        if resources.get(logical_id, {}).get("Type") == "AWS::Lambda::Function":
            return f"arn:aws:lambda:REGION:ACCOUNT:function:{logical_id}"  # a task's Resource
        return "${" + f"{logical_id}.{attribute}" + "}"
    if isinstance(token, dict) and "Ref" in token:
        return "${" + token["Ref"] + "}"
    return "${token}"


def definition_from_template(template: dict[str, Any], workflow: str = "Setup") -> dict[str, Any]:
    """A state machine's definition (named ``<stack>-<workflow>``), tokens replaced by placeholders."""
    (machine,) = [resource for resource in template["Resources"].values()
                  if resource["Type"] == "AWS::StepFunctions::StateMachine"
                  and str(resource["Properties"].get("StateMachineName", "")).endswith(f"-{workflow}")]
    body = machine["Properties"]["DefinitionString"]
    if isinstance(body, str):
        return json.loads(body)
    delimiter, parts = body["Fn::Join"]
    return json.loads(delimiter.join(part if isinstance(part, str) else _placeholder(part, template["Resources"])
                                     for part in parts))


# --- to Mermaid --------------------------------------------------------------------

def _node(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _path(path: str) -> str:
    return path.removeprefix("$.")


def _predicate(rule: dict[str, Any]) -> str:
    """One comparison without its variable: ``== keep``, ``is present``."""
    for key, value in rule.items():
        if key in ("Variable", "Next"):
            continue
        if key == "IsPresent":
            return "is present" if value else "is absent"
        if key == "IsNull":
            return "is null" if value else "is not null"
        for suffix, symbol in _COMPARISONS.items():
            if key.removesuffix("Path").endswith(suffix):
                shown = _path(value) if key.endswith("Path") else json.dumps(value).strip('"')
                return f"{symbol} {shown}"
        return f"{key} {value}"
    return "?"


def condition(rule: dict[str, Any]) -> str:
    """A Choice rule in words; ``And`` of tests on one variable names it once."""
    for operator in ("And", "Or"):
        if operator in rule:
            children = rule[operator]
            variables = {child.get("Variable") for child in children}
            if len(variables) == 1 and None not in variables:
                joined = f" {operator.lower()} ".join(_predicate(child).removeprefix("is ") for child in children)
                return f"{_path(children[0]['Variable'])} is {joined}"
            return f" {operator.lower()} ".join(f"({condition(child)})" for child in children)
    if "Not" in rule:
        return f"not ({condition(rule['Not'])})"
    return f"{_path(rule['Variable'])} {_predicate(rule)}"


def _errors(errors: list[str], index: int) -> str:
    if set(errors) == set(names.CONTRACT_ERROR_NAMES):
        return "contract errors"
    if errors == ["States.ALL"]:
        return "any other error" if index else "any error"
    lambda_errors = [name for name in errors if name.startswith("Lambda.")]
    shown = (["Lambda.*"] if len(lambda_errors) > 1 else lambda_errors) + [n for n in errors if n not in lambda_errors]
    return ", ".join(shown)


def _retry(retrier: dict[str, Any]) -> str:
    cap = f", at most {retrier['MaxDelaySeconds']} s" if "MaxDelaySeconds" in retrier else ""
    jitter = ", jitter" if retrier.get("JitterStrategy") == "FULL" else ""
    return (f"retry {_errors(retrier['ErrorEquals'], 0)} ({retrier.get('MaxAttempts', 3)}x, "
            f"{retrier.get('IntervalSeconds', 1)} s, backoff {retrier.get('BackoffRate', 2.0):g}{cap}{jitter})")


def _edges(state: dict[str, Any], *, catches: bool = True) -> list[tuple[str, str]]:
    """(target, label) in the definition's order; "" for a plain transition."""
    edges: list[tuple[str, str]] = []
    if state["Type"] == "Choice":
        edges += [(rule["Next"], condition(rule)) for rule in state.get("Choices", [])]
        if "Default" in state:
            edges.append((state["Default"], "otherwise"))
    if "Next" in state:
        edges.append((state["Next"], ""))
    if catches:
        edges += [(catcher["Next"], _errors(catcher["ErrorEquals"], index))
                  for index, catcher in enumerate(state.get("Catch", []))]
    return edges


def _walk(states: dict[str, Any], starts: list[str], skip: list[str]) -> list[str]:
    """Breadth-first from ``starts`` along transitions (not Catch), leaving out ``skip``."""
    order: list[str] = []
    queue = deque(starts)
    while queue:
        name = queue.popleft()
        if name in order or name in skip:
            continue
        order.append(name)
        queue.extend(target for target, _ in _edges(states[name], catches=False))
    return order


def _is_lambda(state: dict[str, Any]) -> bool:
    return state["Type"] == "Task" and ":lambda:" in str(state.get("Resource", ""))


def _shared_retries(states: dict[str, Any]) -> list[dict[str, Any]]:
    """Retriers every Lambda task has: drawn once as a note, not on each step."""
    lambdas = [state for state in states.values() if _is_lambda(state)]
    if len(lambdas) < 2:
        return []
    return [retrier for retrier in lambdas[0].get("Retry", [])
            if all(retrier in state.get("Retry", []) for state in lambdas)]


def _description(state: dict[str, Any], shared: list[dict[str, Any]]) -> list[str]:
    if state["Type"] == "Wait":
        seconds = _path(state["SecondsPath"]) if "SecondsPath" in state else state.get("Seconds")
        return [f"wait {seconds} s"]
    lines = []
    if state["Type"] == "Task" and str(state.get("Resource", "")).endswith(":states:::events:putEvents"):
        lines.append("EventBridge PutEvents")
    return lines + [_retry(retrier) for retrier in state.get("Retry", []) if retrier not in shared]


def to_mermaid(definition: dict[str, Any]) -> str:
    """The definition as ``stateDiagram-v2`` text (ends with a newline): the path
    without errors first, then the failure path (what a Catch leads to)."""
    states = definition["States"]
    catch_targets = list(dict.fromkeys(catcher["Next"] for state in states.values()
                                       for catcher in state.get("Catch", [])))
    happy = _walk(states, [definition["StartAt"]], skip=catch_targets)
    failure = _walk(states, catch_targets, skip=happy)
    order = happy + failure + [name for name in states if name not in happy + failure]
    shared = _shared_retries(states)
    lines = ["stateDiagram-v2",
             f"{_INDENT}classDef choice fill:#fff3cd,stroke:#b58900",
             f"{_INDENT}classDef failure fill:#f8d7da,stroke:#b03a2e"]
    for name in order:
        if _node(name) != name:
            lines.append(f'{_INDENT}state "{name}" as {_node(name)}')
        lines += [f"{_INDENT}{_node(name)} : {text}" for text in _description(states[name], shared)]
    lines.append(f"{_INDENT}[*] --> {_node(definition['StartAt'])}")
    for name in order:
        state = states[name]
        for target, label in _edges(state, catches=False):
            lines.append(f"{_INDENT}{_node(name)} --> {_node(target)}" + (f" : {label}" if label else ""))
        if state["Type"] in ("Succeed", "Fail") or state.get("End"):
            lines.append(f"{_INDENT}{_node(name)} --> [*]")
    for name in order:
        for index, catcher in enumerate(states[name].get("Catch", [])):
            lines.append(f"{_INDENT}{_node(name)} --> {_node(catcher['Next'])} : "
                         f"{_errors(catcher['ErrorEquals'], index)}")
    if shared:
        first = next(name for name in order if _is_lambda(states[name]))
        lines.append(f"{_INDENT}note right of {_node(first)} : every Lambda step: "
                     + "; ".join(_retry(retrier) for retrier in shared))
    choices = [_node(name) for name in order if states[name]["Type"] == "Choice"]
    if choices:
        lines.append(f"{_INDENT}class {','.join(choices)} choice")
    if failure:
        lines.append(f"{_INDENT}class {','.join(_node(name) for name in failure)} failure")
    return "\n".join(lines) + "\n"


# --- docs/WORKFLOWS.md ------------------------------------------------------------

def markdown_block(diagram: str) -> str:
    """What goes between the markers."""
    return f"\n```mermaid\n{diagram}```\n"


def current_block(text: str, workflow: str = "Setup") -> str:
    """What is between the workflow's markers now (ValueError when they are missing)."""
    begin, end = WORKFLOWS[workflow]
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"no '{begin}' ... '{end}' markers")
    return text[start + len(begin):stop]


def replace_block(text: str, diagram: str, workflow: str = "Setup") -> str:
    current_block(text, workflow)  # the markers must be there
    begin, end = WORKFLOWS[workflow]
    start, stop = text.find(begin) + len(begin), text.find(end)
    return text[:start] + markdown_block(diagram) + text[stop:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.diagram", description=__doc__.split("\n")[0])
    parser.add_argument("--write", metavar="FILE", type=Path,
                        help="replace the text between each workflow's markers in FILE instead of printing")
    parser.add_argument("--workflow", choices=sorted(WORKFLOWS), default="Setup",
                        help="the state machine to print (default Setup); --write writes both")
    args = parser.parse_args(argv)
    template = synthesize_template()
    if args.write is None:
        sys.stdout.write(to_mermaid(definition_from_template(template, args.workflow)))
        return 0
    try:
        updated = args.write.read_text()
        for workflow in WORKFLOWS:
            updated = replace_block(updated, to_mermaid(definition_from_template(template, workflow)), workflow)
    except (OSError, ValueError) as error:
        print(f"tools.diagram: {args.write}: {error}", file=sys.stderr)
        return 2
    args.write.write_text(updated)
    print(f"tools.diagram: wrote the state machines into {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
