"""``python -m layer7ctl``: start, follow and list milvus-layer7 executions; check a host for drift (status).

Every expected failure ends here as one line on stderr and its own exit code
(layer7ctl/exits.py); a traceback means a bug in this command line.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console

from layer7ctl import aws_errors, status, views
from layer7ctl.clients import Clients, connect_to_aws
from layer7ctl.executions import follow, latest_execution
from layer7ctl.exits import EXECUTION_FAILED, INTERRUPTED, SUCCEEDED, OperatorError
from layer7ctl.inputs import setup_input, undo_input
from layer7ctl.parser import build_parser
from layer7ctl.state_machines import DRIFT_CHECK, SETUP, UNDO, Workflow, stack_name, state_machine_arn


def main(argv: list[str] | None = None, *, connect: Callable[[str | None], Clients] = connect_to_aws,
         console: Console | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = console or views.make_console()
    region = args.region
    try:
        execution_input = _input_for(args)  # before any AWS call: a bad file costs no round trip
        clients = connect(args.region)
        region = clients.region
        return _run(args, clients, execution_input, console)
    except (BotoCoreError, ClientError) as error:
        return _fail(aws_errors.explain(error, region))
    except OperatorError as error:
        return _fail(error)
    except KeyboardInterrupt:
        return _fail(OperatorError("interrupted; an execution already started goes on: "
                                   "`python -m layer7ctl follow EXECUTION_ARN` watches it again", INTERRUPTED))


def _fail(error: OperatorError) -> int:
    print(f"error: {' '.join(str(error).splitlines())}", file=sys.stderr)
    return error.exit_code


def _input_for(args: argparse.Namespace) -> dict[str, Any] | None:
    if args.command == "start":
        return setup_input(args)
    if args.command == "undo":
        return undo_input(args)
    return None


def _arn_of(workflow: Workflow, args: argparse.Namespace, clients: Clients) -> str:
    given = getattr(args, workflow.option.lstrip("-").replace("-", "_"))
    return state_machine_arn(workflow, given=given, cfn=clients.cfn, stack=stack_name(args.stack_name),
                             region=clients.region)


def _run(args: argparse.Namespace, clients: Clients, execution_input: dict[str, Any] | None,
         console: Console) -> int:
    sfn = clients.sfn
    if args.command == "status":
        report = status.invoke(clients.lambda_, _arn_of(DRIFT_CHECK, args, clients),
                               status.drift_input(args.host, args.namespace, args.certificate_days))
        return status.show(console, report, as_json=args.json)
    if args.command == "list":
        views.print_list(console, sfn, _arn_of(SETUP, args, clients), args.max)
        return SUCCEEDED
    if args.command in ("start", "undo"):
        workflow = UNDO if args.command == "undo" else SETUP
        kwargs = {"stateMachineArn": _arn_of(workflow, args, clients), "input": json.dumps(execution_input)}
        if args.name:
            kwargs["name"] = args.name
        execution_arn = sfn.start_execution(**kwargs)["executionArn"]
        views.say(console, f"started {execution_arn}")
        if not args.follow:
            return SUCCEEDED
    else:
        execution_arn = args.execution_arn or latest_execution(sfn, _arn_of(SETUP, args, clients))
    started_at = sfn.describe_execution(executionArn=execution_arn)["startDate"].timestamp()
    with views.LiveStates(console) as live:
        record = follow(sfn, execution_arn, started_at, on_state=live.entered, timeout_seconds=math.inf)
        live.finished(record)
    views.print_result(console, record)
    return SUCCEEDED if record.status == "SUCCEEDED" else EXECUTION_FAILED


if __name__ == "__main__":
    sys.exit(main())
