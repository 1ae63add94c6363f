"""``python -m layer7ctl``: start, follow and list milvus-layer7 executions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from layer7ctl import views
from layer7ctl.executions import follow
from layer7ctl.state_machines import StateMachineNotFound, find_state_machine


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m layer7ctl",
        description="Start, follow and list milvus-layer7 executions. Uses the usual AWS credentials "
                    "chain; set AWS_ENDPOINT_URL to talk to the sandbox.",
    )
    parser.add_argument("--state-machine-arn", metavar="ARN",
                        help="the workflow (default: $MILVUS_LAYER7_STATE_MACHINE_ARN, else the one "
                             "state machine whose name starts with MilvusLayer7)")
    commands = parser.add_subparsers(dest="command", required=True)

    start = commands.add_parser("start", help="start an execution",
                                description="Start an execution from an input file and/or flags "
                                            "(flags override the file's fields).")
    start.add_argument("--input", type=Path, metavar="FILE", help="execution input JSON (CONTRACT.md)")
    start.add_argument("--host", help="the DNS name clients use")
    start.add_argument("--secret-arn", metavar="ARN", help="certificate secret (certificate.secretArn)")
    start.add_argument("--certificate-arn", metavar="ARN", help="certificate already in ACM")
    start.add_argument("--namespace", help="namespace of the Milvus Service")
    start.add_argument("--service-name", help="the Milvus proxy Service")
    start.add_argument("--layer4", choices=("remove", "keep"))
    start.add_argument("--name", help="execution name (default: generated)")
    start.add_argument("--follow", action="store_true", help="then follow it until it ends")

    follow_cmd = commands.add_parser("follow", help="watch an execution until it ends",
                                     description="A live view: each state with its elapsed time while "
                                                 "it runs, then the output, or the error with what to do.")
    follow_cmd.add_argument("execution_arn", nargs="?", help="default: the most recent execution")

    list_cmd = commands.add_parser("list", help="recent executions with status and duration",
                                   description="Recent executions, newest first.")
    list_cmd.add_argument("--max", type=int, default=20, help="how many (default 20)")
    return parser


def input_from_args(args: argparse.Namespace) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(args.input.read_text()) if args.input else {}
    flags = {"host": args.host, "namespace": args.namespace, "serviceName": args.service_name,
             "layer4": args.layer4}
    data.update({k: v for k, v in flags.items() if v is not None})
    if args.secret_arn:
        data["certificate"] = {"secretArn": args.secret_arn}
    if args.certificate_arn:
        data["certificate"] = {"certificateArn": args.certificate_arn}
    return data


def main(argv: list[str] | None = None, sfn: Any = None) -> int:
    args = build_parser().parse_args(argv)
    if sfn is None:
        import boto3  # noqa: PLC0415 - only without a client handed in: --help and the tests never load it

        sfn = boto3.client("stepfunctions")
    try:
        arn = args.state_machine_arn or find_state_machine(sfn)
    except StateMachineNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "list":
        views.print_list(sfn, arn, args.max)
        return 0
    if args.command == "start":
        kwargs = {"stateMachineArn": arn, "input": json.dumps(input_from_args(args))}
        if args.name:
            kwargs["name"] = args.name
        started = sfn.start_execution(**kwargs)
        print(f"started {started['executionArn']}")
        if not args.follow:
            return 0
        execution_arn = started["executionArn"]
    else:
        execution_arn = args.execution_arn or views.latest_execution(sfn, arn)
    started_at = sfn.describe_execution(executionArn=execution_arn)["startDate"].timestamp()
    with views.LiveStates() as live:
        record = follow(sfn, execution_arn, started_at, on_state=live.entered)
    views.print_result(record)
    return 0 if record.status == "SUCCEEDED" else 1


if __name__ == "__main__":
    sys.exit(main())
