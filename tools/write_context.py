"""Write the deployment's context into cdk.json once, checked by the stack's own reader first.

    python -m tools.write_context clusterName=my-cluster vpcId=vpc-0123456789abcdef0 \\
        privateSubnetIds=subnet-0123456789abcdef0,subnet-0fedcba9876543210 host=milvus.example.com

Values are taken as ``cdk deploy -c key=value`` takes them (strings). The
merged context must pass ``StackConfig.from_context``, and every key must be
one it reads (a typo such as ``vpcID`` would otherwise sit in cdk.json doing
nothing); else nothing is written and the exit code is 2. ``key=`` removes a
key. Every later ``cdk deploy`` then builds the same stack with no ``-c``
flags (README "Deploying to AWS").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from stacks.config import ConfigError, StackConfig

CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"


def keys_the_stack_reads() -> set[str]:
    """The context keys StackConfig.from_context asks for, found by asking it (so this list cannot drift)."""
    asked: set[str] = set()

    def record(key: str) -> Any:
        asked.add(key)
        return {"clusterName": "c", "vpcId": "none"}.get(key)

    StackConfig.from_context(record)
    return asked


def merged(context: dict[str, Any], assignments: list[str]) -> dict[str, Any]:
    known = keys_the_stack_reads()
    result = dict(context)
    for assignment in assignments:
        key, equals, value = assignment.partition("=")
        if not equals or not key:
            raise ConfigError(f"{assignment!r} is not key=value")
        if key not in known:
            raise ConfigError(f"{key!r} is no context key the stack reads; it reads: {', '.join(sorted(known))}")
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    StackConfig.from_context(result.get)
    return result


def main(argv: list[str] | None = None, path: Path = CDK_JSON) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.write_context",
                                     description="Write context keys into cdk.json, checked by the stack first.")
    parser.add_argument("assignments", nargs="+", metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    app = json.loads(path.read_text())
    try:
        app["context"] = merged(app.get("context", {}), args.assignments)
    except ConfigError as error:
        print(f"nothing written to {path.name}: {error}", file=sys.stderr)
        return 2
    path.write_text(json.dumps(app, indent=2) + "\n")
    print(f"wrote {', '.join(a.partition('=')[0] for a in args.assignments)} into {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
