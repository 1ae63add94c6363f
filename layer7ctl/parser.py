"""The command line's options, each with its help; the exit codes in the epilog."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import NoReturn

from layer7ctl.completion import SHELLS
from layer7ctl.exits import EXIT_CODES, USAGE
from layer7ctl.state_machines import DEFAULT_STACK_NAME, DRIFT_CHECK, SETUP, STACK_NAME_VARIABLE, UNDO

MAX_RESULTS = 1000  # ListExecutions' own limit for one page
OUTPUTS = ("text", "json")
STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")  # ListExecutions' statusFilter


def exit_codes_text() -> str:
    lines = [textwrap.fill(meaning, width=78, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7)
             for code, meaning in EXIT_CODES]
    return "exit codes:\n" + "\n".join(lines)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (what is wrong, where to read more)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(USAGE)


def _max_results(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_RESULTS:
        raise argparse.ArgumentTypeError(f"{value} is out of range: pass 1 to {MAX_RESULTS}")
    return value


def _command(commands: argparse._SubParsersAction, name: str, *, summary: str, description: str) -> Parser:
    return commands.add_parser(name, help=summary, description=textwrap.fill(description, width=78),
                               epilog=exit_codes_text(),
                               formatter_class=argparse.RawDescriptionHelpFormatter)


def _identifying(command: argparse.ArgumentParser, what: str) -> None:
    """The options that name a setup, the same on start and undo."""
    command.add_argument("--input", metavar="FILE", help=f"{what} execution input JSON (docs/CONTRACT.md); "
                                                         "- reads it from standard input")
    command.add_argument("--host", help="the DNS name clients use (host)")
    command.add_argument("--cluster-name", help="the EKS cluster (clusterName)")
    command.add_argument("--namespace", help="namespace of the Milvus Service (namespace)")
    command.add_argument("--service-name", help="the Milvus proxy Service (serviceName)")
    command.add_argument("--ingress-name", help="the Ingress (ingressName)")
    command.add_argument("--hosted-zone-id", metavar="ZONE_ID",
                         help="the Route 53 zone of the host's record (dns.hostedZoneId)")


def _add_start(commands: argparse._SubParsersAction) -> None:
    start = _command(commands, "start", summary="start a setup execution",
                     description="Start a setup execution from an input file and/or flags "
                                 "(flags override the file's fields).")
    _identifying(start, "setup")
    certificate = start.add_mutually_exclusive_group()
    certificate.add_argument("--secret-arn", metavar="ARN", help="certificate secret (certificate.secretArn)")
    certificate.add_argument("--certificate-arn", metavar="ARN",
                             help="certificate already in ACM (certificate.certificateArn)")
    start.add_argument("--layer4", choices=("remove", "keep"),
                       help="remove the Layer-4 load balancer after verification, or keep it (layer4)")
    start.add_argument("--name", help="execution name (default: generated)")
    start.add_argument("--follow", action="store_true", help="then follow it until it ends")


def _add_undo(commands: argparse._SubParsersAction) -> None:
    undo = _command(commands, "undo", summary="start an undo execution (stack output UndoStateMachineArn)",
                    description="Start the undo workflow from an input file and/or flags "
                                "(flags override the file's fields).")
    _identifying(undo, "undo")
    undo.add_argument("--name", help="execution name (default: generated)")
    undo.add_argument("--follow", action="store_true", help="then follow it until it ends")


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 3650:
        raise argparse.ArgumentTypeError(f"{value} is out of range: pass 0 to 3650")
    return value


def _add_status(commands: argparse._SubParsersAction) -> None:
    status = _command(commands, "status", summary="check one host against its recorded setup (read-only)",
                      description="Invoke the stack's drift check (output DriftCheckFunctionName) for one host: "
                                  "one line per finding (kind, what, what to do), exit 0 when the host matches "
                                  "its recorded setup, 1 when something differs. Changes nothing.")
    status.add_argument("--host", help="the host to check (default: the stack's host)")
    status.add_argument("--namespace", help="namespace of its setup (default: the stack's)")
    status.add_argument("--certificate-days", type=_days, metavar="N",
                        help="a finding when the certificate has fewer days left (default 30)")
    status.add_argument("--json", action="store_true", help="print the check's JSON report instead")
    status.add_argument(DRIFT_CHECK.option, metavar="NAME",
                        help=f"the drift check function (default: ${DRIFT_CHECK.variable}, else the stack output "
                             f"{DRIFT_CHECK.output_key})")


def _add_teardown(commands: argparse._SubParsersAction) -> None:
    teardown = _command(
        commands, "teardown", summary="before cdk destroy: the setups still live, and their undos",
        description="Taking it down. A setup makes what CloudFormation does not own: the ACM certificate, the "
                    "Ingress with the ALB the controller made for it, the host's Route 53 alias, the Service "
                    "turned ClusterIP. cdk destroy removes the stack, its undo workflow with it, and leaves them. "
                    "So: 1. layer7ctl teardown lists each host a setup made something for (it succeeded, or "
                    "failed, timed out or was stopped after a step that writes) that no SUCCEEDED undo has "
                    "followed, with its undo command (and executions still running); 2. layer7ctl teardown "
                    "--start runs those undos and waits for them; 3. once it says so, cdk destroy. Exit 0 when "
                    "nothing is live or running (cdk destroy may follow), 1 otherwise.")
    teardown.add_argument("--start", action="store_true",
                          help="start the undo of each live setup and wait until they end")
    teardown.add_argument("--input", metavar="FILE",
                          help="fields every undo also gets, such as layer4Verify (docs/CONTRACT.md); "
                               "- reads them from standard input")


def _add_global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """Options every command takes, before or after its name (after it, one given wins over one before)."""
    default = argparse.SUPPRESS if after_command else None
    parser.add_argument("--profile", default=default, help="the AWS profile (default: $AWS_PROFILE, else the default "
                                                     "profile)")
    parser.add_argument("--region", default=default, help="the deployment's AWS region; every call goes there "
                                                    "(default: $AWS_REGION, else $AWS_DEFAULT_REGION, else the "
                                                    "profile's)")
    parser.add_argument("--output", choices=OUTPUTS, default=argparse.SUPPRESS if after_command else "text",
                        help="text for people (default), json for programs: one JSON document on stdout")
    parser.add_argument("--stack-name", metavar="NAME", default=default,
                        help=f"the deployed stack whose outputs name the workflows (default: "
                             f"${STACK_NAME_VARIABLE}, else {DEFAULT_STACK_NAME})")
    for workflow in (SETUP, UNDO):
        parser.add_argument(workflow.option, metavar="ARN", default=default,
                            help=f"the {workflow.label} workflow (default: ${workflow.variable}, else the "
                                 f"stack output {workflow.output_key})")


def program_name(argv0: str) -> str:
    """The name the command was run by: `layer7ctl` when installed, `python -m layer7ctl` as a module."""
    name = Path(argv0).name
    return "python -m layer7ctl" if name in ("", "__main__.py", "-m", "-c") else name


def build_parser(prog: str = "python -m layer7ctl") -> argparse.ArgumentParser:
    parser = Parser(
        prog=prog,
        description=textwrap.fill("Start, follow, list, describe and stop milvus-layer7 executions, and read "
                                  "their logs; check a host for drift. Uses the usual AWS credentials chain; set "
                                  "AWS_ENDPOINT_URL to talk to the sandbox. The workflows are found through the "
                                  "stack's outputs unless an ARN is given.",
                                  width=78),
        epilog=exit_codes_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_global_options(parser, after_command=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     help="start, undo, follow, list, describe, stop, logs, status, teardown or "
                                          "completion")
    _add_start(commands)
    _add_undo(commands)
    _add_status(commands)
    follow_cmd = _command(commands, "follow", summary="watch an execution until it ends",
                          description="A live view: each state with its elapsed time as it is entered, "
                                      "the failed one marked, then the output, or the error with what to do.")
    follow_cmd.add_argument("execution_arn", nargs="?", metavar="EXECUTION_ARN",
                            help="the execution (default: the setup workflow's most recent one)")
    list_cmd = _command(commands, "list", summary="recent setup and undo executions with status and duration",
                        description="Recent executions of both workflows, newest first.")
    list_cmd.add_argument("--max", type=_max_results, default=20, metavar="N",
                          help=f"how many, 1 to {MAX_RESULTS} (default 20)")
    list_cmd.add_argument("--status", choices=STATUSES, help="only executions with this status")
    list_cmd.add_argument("--host", help="only executions for this host (reads each one's input: one "
                                         "DescribeExecution call per execution listed)")
    list_cmd.add_argument("--workflow", choices=("setup", "undo"), help="only this workflow's executions")
    describe = _command(commands, "describe", summary="one execution: status, times, input, output or error",
                        description="One execution as DescribeExecution returns it: status, start and stop, "
                                    "input, output, or the error, its cause and what to do.")
    describe.add_argument("execution_arn", metavar="EXECUTION_ARN", help="the execution")
    stop = _command(commands, "stop", summary="stop a running execution",
                    description="Stop a running execution (StopExecution): it ends ABORTED where it is. What a "
                                "setup changed before that stays; the undo workflow takes it back.")
    stop.add_argument("execution_arn", metavar="EXECUTION_ARN", help="the execution")
    stop.add_argument("--cause", help="why, recorded with the execution (its cause)")
    logs = _command(commands, "logs", summary="the log lines one execution wrote, across its functions",
                    description="The lines each of the stack's functions logged for one execution (CloudWatch "
                                "Logs FilterLogEvents on the execution ARN, their correlation id), oldest first. "
                                "Needs cloudformation:ListStackResources on the stack and logs:FilterLogEvents.")
    logs.add_argument("execution_arn", metavar="EXECUTION_ARN", help="the execution")
    _add_teardown(commands)
    for command in commands.choices.values():
        _add_global_options(command, after_command=True)
    completion = _command(commands, "completion", summary="print a shell completion script (bash or zsh)",
                          description="Print the completion script for SHELL, written from this command's own "
                                      "options. bash: source <(layer7ctl completion bash), or save it in "
                                      "/etc/bash_completion.d/. zsh (after compinit): source <(layer7ctl completion "
                                      "zsh), or save it as _layer7ctl in a directory of $fpath. Calls no AWS API.")
    completion.add_argument("shell", choices=SHELLS, help="the shell")
    return parser
