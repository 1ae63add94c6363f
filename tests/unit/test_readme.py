"""The README's claims that can drift from the code, held to it: the command line's help and synopsis, the
deploy example's context and the context table (the template's alarms and outputs: tests/infra/test_readme_template.py).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from pathlib import Path

import pytest

from layer7ctl.parser import build_parser
from stacks.config import StackConfig

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
HELP_BEGIN, HELP_END = "<!-- layer7ctl-help:begin -->\n```text\n", "```\n<!-- layer7ctl-help:end -->"
HELP_COLUMNS = "80"  # the width the README's copy is printed at (argparse reads $COLUMNS)


def section(title: str) -> str:
    """A ``## title`` section of the README, its ``###`` subsections included."""
    return README.read_text().split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser("layer7ctl")
    commands = next(action for action in parser._actions if action.dest == "command")
    assert isinstance(commands, argparse._SubParsersAction)
    return dict(commands.choices)


# --- the command line -------------------------------------------------------------------------------


def test_the_readme_prints_layer7ctl_help_as_the_parser_prints_it(monkeypatch):
    # Given the installed command's help at the README's width
    monkeypatch.setenv("COLUMNS", HELP_COLUMNS)
    printed = build_parser("layer7ctl").format_help()
    # Then the README's copy is that text, character for character
    text = section("Watching it: the operator command line")
    shown = text.split(HELP_BEGIN, 1)[1].split(HELP_END, 1)[0]
    assert shown == printed, ("README's `layer7ctl --help` is stale: paste the output of "
                              "`COLUMNS=80 layer7ctl --help` between its layer7ctl-help markers")


def test_every_synopsis_line_names_a_subcommand_and_its_own_options():
    # Given the synopsis lines (`    layer7ctl CMD ...`) of the command line's section
    lines = re.findall(r"^    layer7ctl (\w+)(.*)$", section("Watching it: the operator command line"), re.MULTILINE)
    subcommands = _subcommands()
    global_options = {option for action in build_parser("layer7ctl")._actions for option in action.option_strings}
    # Then every subcommand has a line, and every option a line shows is one that subcommand takes
    assert sorted({command for command, _ in lines}) == sorted(subcommands)
    for command, rest in lines:
        accepted = global_options | {option for action in subcommands[command]._actions
                                     for option in action.option_strings}
        shown = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", rest))  # the comment's options too
        assert shown <= accepted, f"layer7ctl {command}: {sorted(shown - accepted)} not among its options"


# --- the deploy example and the context table -------------------------------------------------------------


class _Reading:
    """A context getter that remembers which keys the stack's check read."""

    def __init__(self, context: dict[str, object]) -> None:
        self.context: dict[str, object] = context
        self.read: set[str] = set()

    def __call__(self, key: str) -> object:
        self.read.add(key)
        return self.context.get(key)


def _deploy_example() -> dict[str, str]:
    text = section("Deploying to AWS")
    command = text.split("       python -m tools.write_context ", 1)[1].split("\n       cdk deploy", 1)[0]
    words = shlex.split(command.replace("\\\n", " "))
    assert all("=" in word for word in words), words
    return dict(word.split("=", 1) for word in words)


def test_the_deploy_example_is_accepted_by_the_stacks_own_check():
    # Given the README's `python -m tools.write_context ...` on top of cdk.json's context, as it writes them
    example = _deploy_example()
    context = {**json.loads((ROOT / "cdk.json").read_text())["context"], **example}
    reading = _Reading(context)
    # When the stack's check reads it
    config = StackConfig.from_context(reading)
    # Then it is accepted, with the functions in the VPC, and every key given is one the check reads
    assert config.in_vpc and config.cluster_security_group_id == example["clusterSecurityGroupId"]
    assert config.host == example["host"] and config.certificate_secret_arn == example["certificateSecretArn"]
    assert set(example) <= reading.read, sorted(set(example) - reading.read)


def test_the_context_table_lists_every_key_the_stack_reads():
    # Given the keys of the README's "Stack configuration (CDK context)" table
    table = section("Deploying to AWS").split("### Stack configuration (CDK context)\n", 1)[1].split("\n### ", 1)[0]
    shown = {key for row in re.findall(r"^\| (`.*?) \|", table, re.MULTILINE) for key in re.findall(r"`(\w+)`", row)}
    # When the stack's check reads a context
    reading = _Reading({"clusterName": "milvus-eks", "vpcId": "none"})
    StackConfig.from_context(reading)
    # Then the table has a row for each key it reads (but the tests' own skipLayerBundling), and no other
    assert shown == reading.read - {"skipLayerBundling"}


@pytest.mark.parametrize("name", ["input.json", "undo-input.json"])
def test_examples_make_no_weaker_choice_than_the_defaults(name):
    # Given an example input an operator copies for production
    example = json.loads((ROOT / "examples" / name).read_text())
    # Then it keeps the workflow's TLS policy and writes no scratch collection into Milvus
    assert "alb.ingress.kubernetes.io/ssl-policy" not in example.get("ingressAnnotations", {})
    assert not example.get("verify", {}).get("roundTrip")


@pytest.mark.parametrize("name", ["event.json", "undo-event.json"])
def test_example_events_make_no_weaker_choice_than_the_defaults(name):
    for entry in json.loads((ROOT / "examples" / name).read_text()):
        detail = json.loads(entry["Detail"])
        assert "alb.ingress.kubernetes.io/ssl-policy" not in detail.get("ingressAnnotations", {})
        assert not detail.get("verify", {}).get("roundTrip")
