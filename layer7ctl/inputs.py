"""Execution input from ``--input FILE`` and flags (flags override the file's fields).

Read before any AWS call, so that a typo in a path costs no round trip and
never starts a half-specified run.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

from layer7ctl.exits import OperatorError

# flag attribute -> input field, for the plain string fields of each workflow
UNDO_FIELDS = {"host": "host", "cluster_name": "clusterName", "namespace": "namespace",
               "service_name": "serviceName", "ingress_name": "ingressName"}
SETUP_FIELDS = {**UNDO_FIELDS, "layer4": "layer4"}


_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true or false",
               type(None): "null"}


def read_input_file(path: str | None, stdin: IO[str] | None = None) -> dict[str, Any]:
    """The JSON object in the file `path`, or on standard input when `path` is -."""
    if path is None:
        return {}
    try:
        if path == "-":
            path = "- (standard input)"
            text = (stdin or sys.stdin).read()
        else:
            with open(path, encoding="utf-8") as file:
                text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise OperatorError(f"cannot read --input {path}: {reason}: pass a readable JSON file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise OperatorError(f"--input {path} is not JSON ({error}): fix the file") from None
    if not isinstance(data, dict):
        raise OperatorError(f"--input {path} holds {_JSON_TYPES[type(data)]}, not a JSON object: "
                            'write the input as {"field": value, ...} (docs/CONTRACT.md)')
    return data


def _with_flags(data: dict[str, Any], args: argparse.Namespace, fields: dict[str, str]) -> dict[str, Any]:
    data.update({field: getattr(args, attr) for attr, field in fields.items() if getattr(args, attr) is not None})
    return data


def _with_zone(data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    if args.hosted_zone_id:
        given = data.get("dns")
        dns: dict[str, Any] = given if isinstance(given, dict) else {}
        data["dns"] = {**dns, "hostedZoneId": args.hosted_zone_id}
    return data


def setup_input(args: argparse.Namespace) -> dict[str, Any]:
    data = _with_zone(_with_flags(read_input_file(args.input), args, SETUP_FIELDS), args)
    if args.secret_arn:
        data["certificate"] = {"secretArn": args.secret_arn}
    if args.certificate_arn:
        data["certificate"] = {"certificateArn": args.certificate_arn}
    return data


def undo_input(args: argparse.Namespace) -> dict[str, Any]:
    return _with_zone(_with_flags(read_input_file(args.input), args, UNDO_FIELDS), args)
