"""``layer7ctl`` (``python -m layer7ctl``): start, follow, list, describe and stop milvus-layer7 executions;
check a host for drift (status).

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

from layer7ctl import aws_errors, commands, completion, run_logs, status, teardown, views
from layer7ctl.clients import Clients, connect_to_aws, region_to_use
from layer7ctl.executions import follow, latest_execution
from layer7ctl.exits import EXECUTION_FAILED, INTERRUPTED, SUCCEEDED, OperatorError
from layer7ctl.inputs import read_input_file, setup_input, undo_input
from layer7ctl.parser import build_parser, program_name
from layer7ctl.state_machines import DRIFT_CHECK, SETUP, UNDO, Workflow, stack_name, state_machine_arn


def main(argv: list[str] | None = None, *,
         connect: Callable[[str | None, str | None], Clients] = connect_to_aws,
         console: Console | None = None) -> int:
    parser = build_parser(program_name(sys.argv[0]))
    args = parser.parse_args(argv)
    if args.command == "completion":  # no AWS: it prints the parser's own options
        script = completion.script(args.shell, parser)
        sys.stdout.write(json.dumps({"shell": args.shell, "script": script}) + "\n" if args.output == "json"
                         else script)
        return SUCCEEDED
    console = console or views.make_console()
    region = region_to_use(args.region)
    try:
        execution_input = _input_for(args)  # before any AWS call: a bad file costs no round trip
        clients = connect(args.region, args.profile)
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
    if args.command == "teardown":
        return read_input_file(args.input)
    return None


def _arn_of(workflow: Workflow, args: argparse.Namespace, clients: Clients) -> str:
    given = getattr(args, workflow.option.lstrip("-").replace("-", "_"))
    return state_machine_arn(workflow, given=given, cfn=clients.cfn, stack=stack_name(args.stack_name),
                             region=clients.region, read=clients.stacks)


def _run(args: argparse.Namespace, clients: Clients, execution_input: dict[str, Any] | None,
         console: Console) -> int:
    sfn = clients.sfn
    as_json = args.output == "json"
    if args.command == "status":
        report = status.invoke(clients.lambda_, _arn_of(DRIFT_CHECK, args, clients),
                               status.drift_input(args.host, args.namespace, args.certificate_days))
        return status.show(console, report, as_json=args.json or as_json)
    if args.command == "list":
        workflows = [w for w in (SETUP, UNDO) if args.workflow in (None, w.label)]
        runs = commands.list_runs(sfn, {w.label: _arn_of(w, args, clients) for w in workflows}, limit=args.max,
                                  status=args.status, host=args.host)
        what = " ".join(filter(None, [args.status, "of the", " or ".join(w.label for w in workflows),
                                      "workflow" + ("s" if len(workflows) > 1 else ""),
                                      f"for {args.host}" if args.host else None]))
        commands.show_list(console, runs, as_json=as_json, what=what)
        return SUCCEEDED
    if args.command == "describe":
        commands.describe(console, sfn, args.execution_arn, as_json=as_json)
        return SUCCEEDED
    if args.command == "logs":
        lines = run_logs.run_lines(sfn, clients.cfn, clients.logs, args.execution_arn, stack_name(args.stack_name))
        run_logs.show(console, lines, as_json=as_json, execution_arn=args.execution_arn)
        return SUCCEEDED
    if args.command == "teardown":
        machines = {w.label: _arn_of(w, args, clients) for w in (SETUP, UNDO)}
        done = teardown.run(console, sfn, machines, start=args.start, shared=execution_input or {},
                            prog=program_name(sys.argv[0]), as_json=as_json)
        return SUCCEEDED if done else EXECUTION_FAILED
    if args.command == "stop":
        commands.stop(console, sfn, args.execution_arn, args.cause, as_json=as_json)
        return SUCCEEDED
    if args.command in ("start", "undo"):
        workflow = UNDO if args.command == "undo" else SETUP
        kwargs = {"stateMachineArn": _arn_of(workflow, args, clients), "input": json.dumps(execution_input)}
        if args.name:
            kwargs["name"] = args.name
        started = sfn.start_execution(**kwargs)
        execution_arn = started["executionArn"]
        if not args.follow:
            if as_json:
                commands.print_json(console, {"executionArn": execution_arn, "startDate": started.get("startDate")})
            else:
                views.say(console, f"started {execution_arn}")
            return SUCCEEDED
        if not as_json:
            views.say(console, f"started {execution_arn}")
    else:
        execution_arn = args.execution_arn or latest_execution(sfn, _arn_of(SETUP, args, clients))
    started_at = sfn.describe_execution(executionArn=execution_arn)["startDate"].timestamp()
    if as_json:
        record = follow(sfn, execution_arn, started_at, timeout_seconds=math.inf)
        commands.print_json(console, commands.followed_json(record))
    else:
        with views.LiveStates(console) as live:
            record = follow(sfn, execution_arn, started_at, on_state=live.entered, timeout_seconds=math.inf)
            live.finished(record)
        views.print_result(console, record)
    return SUCCEEDED if record.status == "SUCCEEDED" else EXECUTION_FAILED


if __name__ == "__main__":
    sys.exit(main())
