"""EventBridge rule targets that are Step Functions state machines.

moto's ``Rule.send_to_targets`` raises NotImplementedError for them, so a ``Milvus Layer7 Setup Requested``
event would never start the workflow. Here such a target starts an execution in the backend the API serves, with
the input EventBridge gives: the whole event, or the target's ``Input``, ``InputPath`` or ``InputTransformer``.
Other targets go to moto's code; a disabled rule delivers nothing.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moto.events.utils import EventMessageType

LOG = logging.getLogger(__name__)


@functools.cache  # the patch is process-wide, as moto's classes are: applied once
def install() -> None:
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: EventMessageType, transform_input: bool = True) -> None:
        if getattr(self, "state", "ENABLED") == "DISABLED":
            return
        if not self.event_pattern.matches_event(original_event):
            return
        ours = [t for t in self.targets if _is_state_machine(t.get("Arn", ""))]
        others = [t for t in self.targets if t not in ours]
        for target in ours:
            try:
                _start_execution(self, target, original_event)
            except Exception:  # noqa: BLE001 - EventBridge never fails put_events for a target
                LOG.exception("EventBridge rule %s could not start %s", self.name, target.get("Arn"))
        if others:
            proxy = copy.copy(self)
            proxy.targets = others
            original(proxy, original_event, transform_input)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]  # the patch itself


def _is_state_machine(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) >= 7 and parts[2] == "states" and parts[5] == "stateMachine"


def aws_event(moto_event: Mapping[str, Any]) -> dict[str, Any]:
    """The event as EventBridge hands it to targets (ISO time, no moto extras)."""
    event = {k: v for k, v in moto_event.items() if k != "ingestion-time"}
    if isinstance(event.get("time"), (int, float)):  # moto keeps PutEvents' epoch seconds
        event["time"] = datetime.fromtimestamp(event["time"], tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def target_input(target: dict[str, Any], event: dict[str, Any]) -> str:
    """The JSON text a target receives for `event` (already in AWS form)."""
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath"):
        return json.dumps(json_path(event, target["InputPath"]))
    transformer = target.get("InputTransformer")
    if transformer:
        return render_template(transformer.get("InputTemplate", ""), transformer.get("InputPathsMap") or {}, event)
    return json.dumps(event)


def json_path(document: Any, path: str) -> Any:
    """Resolve an EventBridge JSON path ($, $.a.b, $.a[0], $['a-b']); None when absent."""
    from jsonpath_ng.ext import parse

    if path.strip() == "$":
        return document
    matches = parse(path).find(document)
    return matches[0].value if matches else None


def render_template(template: str, paths: dict[str, str], event: dict[str, Any]) -> str:
    """Fill <var> placeholders the way EventBridge does.

    Inside a JSON string a placeholder takes the value's text (strings unquoted
    and escaped); outside strings it takes the value's JSON. Unknown names are
    left alone. `<aws.events.event.json>` / `<aws.events.event>` is the event.
    """
    values: dict[str, Any] = {name: json_path(event, path) for name, path in paths.items()}
    values.setdefault("aws.events.event.json", event)
    values.setdefault("aws.events.event", event)
    values.setdefault("aws.events.rule-arn", None)
    out: list[str] = []
    in_string = escaped = False
    i = 0
    while i < len(template):
        char = template[i]
        if char == "<":
            end = template.find(">", i)
            name = template[i + 1:end] if end > i else ""
            if end > i and name in values:
                value = values[name]
                if in_string:
                    text = value if isinstance(value, str) else json.dumps(value)
                    out.append(json.dumps(text)[1:-1])
                else:
                    out.append(json.dumps(value))
                i = end + 1
                continue
        out.append(char)
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        i += 1
    text = "".join(out)
    try:
        json.loads(text)
        return text
    except ValueError:
        return json.dumps(text)  # a plain-text template reaches the target as a JSON string


def _start_execution(rule: Any, target: dict[str, Any], moto_event: Mapping[str, Any]) -> None:
    from moto.stepfunctions.responses import get_backend

    arn = target["Arn"]
    account, region = arn.split(":")[4], arn.split(":")[3]
    payload = target_input(target, aws_event(moto_event))
    # The interpreter runs the execution in its own thread: this returns at once, and the execution is listed by
    # the time put_events answers.
    execution = get_backend(account, region).start_execution(arn, name=str(uuid.uuid4()), execution_input=payload)
    LOG.info("rule %s started %s", rule.name, getattr(execution, "execution_arn", execution))
