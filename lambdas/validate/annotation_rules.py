"""The controller's value encodings, and the rules the annotation table is built from.

Why a module of its own: the load balancer controller reads every annotation
value in one of six encodings (docs/guide/ingress/annotations.md: "boolean:
'true', integer: '42', stringList: s1,s2,s3, stringMap: k1=v1,k2=v2, json:
'jsonContent'"); a value its parser refuses ends in a FailedBuildModel event,
and a value it passes through but the ELBv2 API refuses ends in a
FailedDeployModel event minutes later. Each rule here is a function from the
raw value to the problems found, each problem naming what is allowed, so
Validate can refuse the input before anything has changed.

The parsers follow pkg/annotations/parser.go of kubernetes-sigs/aws-load-balancer-controller
(Go's strconv.ParseInt / ParseBool, its comma splitting); the limits come from
the botocore elbv2 model (2015-12-01 service-2.json), cited where used.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

Rule = Callable[[str], list[str]]

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_GO_INTEGER = re.compile(r"^[+-]?[0-9]+$")  # strconv.ParseInt(s, 10, n): no spaces, no '_', no '0x'
_GO_BOOLEANS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
                "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}
_SHOWN_LENGTH = 64


def alternatives(items: list[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return " or ".join(filter(None, [", ".join(items[:-1]), items[-1]])) if items else ""


def close_names(name: str, candidates: list[str]) -> list[str]:
    return difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)


def shown(value: str) -> str:
    """The value as a message quotes it: a long value by its length, not its text."""
    return repr(value) if len(value) <= _SHOWN_LENGTH else f"a {len(value)}-character value"


def control_character_problems(value: str, *, json_whitespace: bool = False) -> list[str]:
    """Kubernetes stores any string, and the controller passes it on: a newline reaches AWS.

    In a JSON value, tab, newline and carriage return between tokens are JSON's own
    whitespace (a YAML ``>`` block, as the controller's docs write actions, ends in
    one); inside a JSON string the parser refuses them raw.
    """
    for position, char in enumerate(value):
        if unicodedata.category(char) == "Cc" and not (json_whitespace and char in "\t\n\r"):
            return [f"must not contain control characters (newline, tab, NUL, ...), found U+{ord(char):04X} "
                    f"at position {position}"]
    return []


# --- the six encodings --------------------------------------------------------------------------------------------


def parse_integer(value: str, bounds: tuple[int, int] = INT32) -> int | None:
    """What the controller's ParseInt32Annotation (or Int64) accepts; None where it fails."""
    if not _GO_INTEGER.match(value):
        return None
    number = int(value)
    return number if bounds[0] <= number <= bounds[1] else None


def parse_string_list(value: str) -> list[str]:
    """parser.go splitCommaSeparatedString: split on ',', trim, drop empty parts. It never fails."""
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_string_map(value: str) -> dict[str, str] | None:
    """k1=v1,k2=v2 with '\\,' for a literal comma; None where parser.go reports "failed to parse stringMap"."""
    pairs = [part for part in re.split(r"(?<!\\),", value) if part.strip()]
    result: dict[str, str] = {}
    for pair in pairs:
        key, equals, item = pair.replace("\\,", ",").partition("=")
        if not equals or not key.strip():
            return None
        result[key.strip()] = item.strip()
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(name)  # Go's encoding/json refuses NaN and Infinity; Python's json accepts them


def parse_json(value: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(value, parse_constant=_no_constants)
    except ValueError:
        return False, None


# --- rules ----------------------------------------------------------------------------------------------------------


def any_string(value: str) -> list[str]:
    return []


def integer(low: int | None = None, high: int | None = None, *, bits: int = 32, unit: str = "") -> Rule:
    bounds = INT32 if bits == 32 else INT64
    lo, hi = (bounds[0] if low is None else low), (bounds[1] if high is None else high)
    if high is not None:
        allowed = f"an integer from {lo} to {hi}{unit}"
    elif low is not None:
        allowed = f"an integer of at least {low}{unit}"
    else:
        allowed = f"an integer (a {bits}-bit number, e.g. '42')"

    def rule(value: str) -> list[str]:
        number = parse_integer(value, bounds)
        return [] if number is not None and lo <= number <= hi else [f"must be {allowed}, not {shown(value)}"]
    return rule


def boolean(value: str) -> list[str]:
    return [] if value in _GO_BOOLEANS else [f"must be 'true' or 'false', not {shown(value)}"]


def one_of(*choices: str) -> Rule:
    allowed = ", ".join(repr(choice) for choice in choices)

    def rule(value: str) -> list[str]:
        return [] if value in choices else [f"must be one of {allowed}, not {shown(value)}"]
    return rule


def matching(pattern: str, allowed: str, *, max_length: int | None = None) -> Rule:
    compiled = re.compile(pattern)

    def rule(value: str) -> list[str]:
        if max_length is not None and len(value) > max_length:
            return [f"must be at most {max_length} characters, not {len(value)}"]
        return [] if compiled.fullmatch(value) else [f"must be {allowed}, not {shown(value)}"]
    return rule


def either(first: str, rule: Rule) -> Rule:
    """A keyword (e.g. 'none', 'traffic-port') or a value the other rule accepts."""
    return lambda value: [] if value == first else rule(value)


def string_list(item: Rule = any_string) -> Rule:
    """s1,s2,s3: the controller never refuses the list itself, so only its entries are checked."""
    def rule(value: str) -> list[str]:
        return [f"entry {shown(part)} {problem}" for part in parse_string_list(value) for problem in item(part)]
    return rule


class JsonRule:
    """A JSON value must parse (as Go's encoding/json would) into the shape the controller unmarshals.

    A class, not a closure, so check_annotation can tell that JSON's own
    whitespace is not a control character in this value.
    """

    def __init__(self, shape: type, example: str) -> None:
        self.shape, self.example = shape, example
        self.kind = "a JSON object" if shape is dict else "a JSON array"

    def __call__(self, value: str) -> list[str]:
        ok, parsed = parse_json(value)
        if not ok:
            return [f"must be valid JSON ({self.kind}, e.g. {self.example}), not {shown(value)}"]
        return [] if isinstance(parsed, self.shape) else [f"must be {self.kind}, e.g. {self.example}"]


def json_value(shape: type, example: str) -> Rule:
    return JsonRule(shape, example)


def string_map(check: Callable[[dict[str, str]], list[str]] = lambda pairs: []) -> Rule:
    def rule(value: str) -> list[str]:
        pairs = parse_string_map(value)
        if pairs is None:
            return [f"must be key=value pairs separated by commas (k1=v1,k2=v2), not {shown(value)}"]
        return check(pairs)
    return rule


def cidr(value: str) -> list[str]:
    """Go's net.ParseCIDR: an address, '/', a prefix length; host bits may be set."""
    address, slash, length = value.partition("/")
    try:
        if slash and length.isdigit():
            ipaddress.ip_network(value, strict=False)
            return []
    except ValueError:
        pass
    return ["must be a CIDR such as 10.0.0.0/16 or 2001:db8::/32"]


def success_codes(low: int, high: int, *, kind: str) -> Rule:
    """The ELBv2 Matcher: one code, a comma list, or a range (botocore Matcher HttpCode/GrpcCode docs)."""
    allowed = (f"{kind} codes from {low} to {high}: one ('{low}'), a list ('{low},{low + 1}') "
               f"or a range ('{low}-{low + 5}')")

    def in_range(code: str) -> bool:
        return code.isdigit() and low <= int(code) <= high

    def rule(value: str) -> list[str]:
        for item in value.split(","):
            first, dash, last = item.partition("-")
            if not in_range(first) or (dash and (not in_range(last) or int(last) < int(first))):
                return [f"must be {allowed}, not {shown(value)}"]
        return []
    return rule


def health_check_path(value: str) -> list[str]:
    # botocore elbv2 shape Path: min 1, max 1024; AWS target-group-health-checks docs: the path starts with '/'.
    problems = [] if value.startswith("/") else [f"must start with '/', not {shown(value)}"]
    if len(value) > 1024:
        problems.append(f"must be at most 1024 characters (the ALB's limit), not {len(value)}")
    return problems


def attributes(known: Mapping[str, Rule], *, max_value: int | None, what: str) -> Rule:
    """ELBv2 attribute maps: the API refuses unknown keys, and checks the documented ranges."""
    def check(pairs: dict[str, str]) -> list[str]:
        problems = []
        for key, item in pairs.items():
            if key not in known:
                close = close_names(key, list(known))
                hint = f"did you mean {alternatives(close)}?" if close else f"known: {', '.join(sorted(known))}"
                problems.append(f"{key!r} is not {what} ({hint})")
                continue
            if max_value is not None and len(item) > max_value:
                problems.append(f"{key} must be at most {max_value} characters, not {len(item)}")
            problems.extend(f"{key} {problem}" for problem in known[key](item))
        return problems
    return string_map(check)


def _tag_text(text: str) -> bool:
    # botocore TagKey/TagValue pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$ (Python's re has no \p classes)
    return all(unicodedata.category(c)[0] in "LZN" or c in "_.:/=+-@" for c in text)


def tags(reserved: frozenset[str]) -> Rule:
    def check(pairs: dict[str, str]) -> list[str]:
        problems = []
        for key, item in pairs.items():
            if not 1 <= len(key) <= 128 or not _tag_text(key):
                problems.append(f"tag key {shown(key)} must be 1 to 128 letters, digits, spaces or _.:/=+-@")
            elif key.lower().startswith("aws:") or key in reserved:
                problems.append(f"tag key {key!r} is reserved (aws:*, or one the controller sets itself)")
            if len(item) > 256 or not _tag_text(item):
                problems.append(f"tag {key!r}: the value must be at most 256 letters, digits, spaces or _.:/=+-@")
        return problems
    return string_map(check)
