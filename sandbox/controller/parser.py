"""pkg/annotations/parser.go of the load balancer controller, in Python, with Go's error texts.

The controller reads every annotation through this parser, and its errors are Go's (strconv's NumError,
encoding/json's SyntaxError, errors.Wrapf's "outer: inner" chain); a test that reads the event must see them as a
cluster prints them. Sources: kubernetes-sigs/aws-load-balancer-controller pkg/annotations/parser.go at
225f44568848; Go's strconv (quote.go, atoi.go) and encoding/json (scanner.go, decode.go).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

PREFIX = "alb.ingress.kubernetes.io"
_GO_BOOLEANS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
                "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


class GoError(Exception):
    """A Go error value: its text is the whole wrapped chain ("outer: inner")."""


def go_quote(text: str) -> str:
    """strconv.Quote, as %q and strconv's NumError print a value."""
    escapes = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
               "\t": "\\t", "\v": "\\v"}
    out = []
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def parse_go_int(raw: str, bits: int) -> int:
    """strconv.ParseInt(raw, 10, bits), with its error text."""
    if not re.fullmatch(r"[+-]?[0-9]+", raw):
        raise GoError(f"strconv.ParseInt: parsing {go_quote(raw)}: invalid syntax")
    number = int(raw)
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise GoError(f"strconv.ParseInt: parsing {go_quote(raw)}: value out of range")
    return number


class Annotations:
    """suffixAnnotationParser over one object's annotations (prefix alb.ingress.kubernetes.io)."""

    def __init__(self, annotations: Mapping[str, str]) -> None:
        self.raw = dict(annotations)

    def key(self, suffix: str) -> str:
        return f"{PREFIX}/{suffix}"

    def string(self, suffix: str, default: str | None = None) -> str | None:
        return self.raw.get(self.key(suffix), default)

    def boolean(self, suffix: str) -> bool | None:
        raw = self.string(suffix)
        if raw is None:
            return None
        if raw not in _GO_BOOLEANS:
            raise GoError(f"failed to parse bool annotation, {self.key(suffix)}: {raw}: "
                          f"strconv.ParseBool: parsing {go_quote(raw)}: invalid syntax")
        return _GO_BOOLEANS[raw]

    def integer(self, suffix: str, default: int | None = None, *, bits: int = 32) -> int | None:
        raw = self.string(suffix)
        if raw is None:
            return default
        try:
            return parse_go_int(raw, bits)
        except GoError as e:
            raise GoError(f"failed to parse int{bits} annotation, {self.key(suffix)}: {raw}: {e}") from None

    def string_list(self, suffix: str) -> list[str] | None:
        raw = self.string(suffix)
        return None if raw is None else [part.strip() for part in raw.split(",") if part.strip()]

    def string_map(self, suffix: str) -> dict[str, str] | None:
        raw = self.string(suffix)
        if raw is None:
            return None
        result = {}
        for pair in split_key_value_pairs(raw):
            key, equals, value = pair.partition("=")
            if not equals or not key.strip():
                raise GoError(f"failed to parse stringMap annotation, {self.key(suffix)}: {raw}")
            result[key.strip()] = value.strip()
        return result


def split_key_value_pairs(text: str) -> list[str]:
    """parser.go splitKeyValuePairs, quirks included: '\\,' is a comma, and a ',' splits only before an '='."""
    result, current, i = [], "", 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current, i = current + text[i + 1], i + 2
            continue
        if char == ",":
            remaining = text[i + 1:].strip()
            if "=" in remaining:
                result.append(current.strip())
                current = ""
            elif remaining:
                return [*result, current.strip(), remaining]
            else:
                current += char
        else:
            current += char
        i += 1
    return [*result, current.strip()] if current else result


def _open_bracket(text: str) -> str:
    """The innermost '[' or '{' still open at the end of ``text`` (strings skipped)."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            in_string, escaped = (in_string, False) if escaped else (char != '"', char == "\\")
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append(char)
        elif char in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def go_json_error(raw: str, error: json.JSONDecodeError) -> str:
    """encoding/json's SyntaxError text (scanner.go) for what Python's json reports; rarer cases are a paraphrase."""
    if error.pos >= len(raw.rstrip()) or error.msg.startswith("Unterminated string"):
        return "unexpected end of JSON input"
    char = raw[error.pos]
    quoted = "'\\''" if char == "'" else "'" + go_quote(char)[1:-1].replace('\\"', '"') + "'"
    if error.msg.startswith("Invalid control character"):
        return f"invalid character {quoted} in string literal"
    after_pair = _open_bracket(raw[:error.pos]) == "{"
    context = {"Expecting property name enclosed in double quotes": "looking for beginning of object key string",
               "Expecting ':' delimiter": "after object key",
               "Expecting ',' delimiter": "after object key:value pair" if after_pair else "after array element",
               "Extra data": "after top-level value"}.get(error.msg, "looking for beginning of value")
    return f"invalid character {quoted} {context}"


def go_json_kind(value: Any) -> str:
    """How encoding/json's UnmarshalTypeError names a value; a (\"number\", literal) tuple keeps Go's literal."""
    if isinstance(value, tuple):
        return f"number {value[1]}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"number {value}"
    return {dict: "object", list: "array", str: "string", bool: "bool"}[type(value)]


def go_unmarshal(raw: str, wrap: str, **numbers: Any) -> Any:
    """json.Unmarshal, its SyntaxError as GoError("<wrap>: <text>"); ``numbers`` are json.loads' parse_int/float."""
    def no_constant(name: str) -> Any:  # Go refuses NaN and Infinity
        raise json.JSONDecodeError("Expecting value", raw, raw.index(name))
    try:
        return json.loads(raw, parse_constant=no_constant, **numbers)
    except json.JSONDecodeError as e:
        raise GoError(f"{wrap}: {go_json_error(raw, e)}") from None


def go_objects(value: Any, go_type: str, wrap: str) -> list[dict[str, Any]]:
    """Unmarshal into []<go_type> of structs or maps: null is empty, a null entry a zero value."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise GoError(f"{wrap}: json: cannot unmarshal {go_json_kind(value)} into Go value of type []{go_type}")
    for entry in value:
        if entry is not None and not isinstance(entry, dict):
            raise GoError(f"{wrap}: json: cannot unmarshal {go_json_kind(entry)} into Go value of type {go_type}")
    return [entry or {} for entry in value]
