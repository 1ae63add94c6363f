"""Each Lambda state's Payload is the event its handler parses, and docs/DESIGN.md names it.

A state's payload is written once, in stacks/workflow.py or
stacks/undo_workflow.py; what the step reads is its ``*Event`` model in
lambdas/layer7/models.py or undo_models.py. Nothing else ties the two, so this
test does, from the synthesized template: state -> the function its Resource
names -> that function's Handler -> the model the handler validates the event
with (``Model.model_validate(event)`` or ``step_handler(Model, ...)``) ->
the model's field aliases, which must be the payload's keys. One side changed
alone fails here. The DESIGN.md tables must name every key the state passes.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from typing import Any

import pytest
from pydantic import BaseModel

from stacks.paths import LAMBDAS_DIR, PROJECT_ROOT

WORKFLOWS = ("Setup", "Undo")
# Every task adds it (stacks/tasks.py); the models parse it, DESIGN.md says it once above the tables.
CORRELATION_ID = "correlationId"
# In DESIGN.md a step's row lists what it adds to the request (``+ "certificate.$"``), so the request is implied.
IMPLIED_IN_DESIGN = {CORRELATION_ID, "request"}


def lambda_tasks(raw: dict[str, Any], workflow: str) -> dict[str, tuple[dict[str, Any], str]]:
    """Each Lambda task state of ``workflow``: its Parameters and the logical id of the function it invokes."""
    (machine,) = [m for m in raw["Resources"].values() if m["Type"] == "AWS::StepFunctions::StateMachine"
                  and str(m["Properties"]["StateMachineName"]).endswith(f"-{workflow}")]
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    # A function's ARN is {"Fn::GetAtt": [<logical id>, "Arn"]} inside a JSON string: keep the id.
    text = "".join(part if isinstance(part, str)
                   else f"fn:{part['Fn::GetAtt'][0]}" if "Fn::GetAtt" in part else "token" for part in parts)
    states = json.loads(text)["States"]
    return {name: (state["Parameters"], state["Resource"].removeprefix("fn:")) for name, state in states.items()
            if state["Type"] == "Task" and state["Resource"].startswith("fn:")}


def event_model(handler: str) -> type[BaseModel]:
    """The model ``handler`` (``package.module.function``) validates its event with, found in its source."""
    module_name = handler.rsplit(".", 1)[0]
    source = (LAMBDAS_DIR / (module_name.replace(".", "/") + ".py")).read_text()
    tree = ast.parse(source)
    used: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (isinstance(func, ast.Attribute) and func.attr == "model_validate" and isinstance(func.value, ast.Name)
                and [type(arg) for arg in node.args] == [ast.Name] and node.args[0].id == "event"):  # type: ignore[attr-defined]
            used.add(func.value.id)
        if (isinstance(func, ast.Name) and func.id in ("step_handler", "verification_handler")
                and isinstance(node.args[0], ast.Name)):
            used.add(node.args[0].id)
    assert len(used) == 1, f"{handler}: expected one event model, found {sorted(used)}"
    (name,) = used
    (origin,) = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                 and any(alias.name == name for alias in node.names)]
    model = getattr(importlib.import_module(str(origin)), name)
    assert issubclass(model, BaseModel), handler
    return model


def aliases(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def design_rows() -> dict[str, dict[str, str]]:
    """docs/DESIGN.md's two data-flow tables: per workflow, state name -> its Payload cell."""
    text = (PROJECT_ROOT / "docs" / "DESIGN.md").read_text()
    rows: dict[str, dict[str, str]] = {}
    for workflow, heading in (("Setup", "## State data flow"), ("Undo", "## The undo's data flow")):
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        rows[workflow] = {cells[1].strip(): cells[2] for line in section.splitlines()
                          if line.startswith("| ") and len(cells := line.split("|")) > 3}
    return rows


def payload_keys(parameters: dict[str, Any]) -> set[str]:
    return {key.removesuffix(".$") for key in parameters}


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_each_lambda_state_passes_exactly_the_fields_its_handler_parses(default_synth, workflow):
    # Given every Lambda task of the workflow and the handler of the function it invokes
    tasks = lambda_tasks(default_synth.raw, workflow)
    assert tasks, workflow
    for state, (parameters, function_id) in tasks.items():
        handler = default_synth.resources[function_id]["Properties"]["Handler"]
        # Then the payload's keys are the field aliases of the model that handler parses
        assert payload_keys(parameters) == aliases(event_model(handler)), f"{workflow}.{state} ({handler})"
        assert parameters[f"{CORRELATION_ID}.$"] == "$$.Execution.Id", state


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_design_names_what_each_lambda_state_passes(default_synth, workflow):
    rows = design_rows()[workflow]
    for state, (parameters, _) in lambda_tasks(default_synth.raw, workflow).items():
        assert state in rows, f"docs/DESIGN.md has no row for {workflow}.{state}"
        for key in payload_keys(parameters) - IMPLIED_IN_DESIGN:
            assert re.search(rf"\b{key}\b", rows[state]), f"docs/DESIGN.md {workflow}.{state} does not name {key}"


def test_the_model_lookup_reads_both_handler_shapes():
    # Given a handler of the shared shape (layer7.handlers.step_handler) and one that validates the event itself
    from layer7.models import ApplyIngressEvent, VerifyGrpcEvent
    # Then each resolves to the model it parses
    assert event_model("apply_ingress.handler.lambda_handler") is ApplyIngressEvent
    assert event_model("verify_grpc.handler.lambda_handler") is VerifyGrpcEvent
