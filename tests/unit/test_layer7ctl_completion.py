"""Shell completion: written from the parser, so every command and option is in it; bash completes with it."""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
from contextlib import redirect_stdout

import pytest

from layer7ctl.__main__ import main
from layer7ctl.completion import SHELLS
from layer7ctl.parser import build_parser
from tests.unit.test_layer7ctl import NoCalls


def _printed(shell: str) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        # Given no AWS at all: a connection would fail the test
        code = main(["completion", shell], connect=lambda *_: NoCalls())  # type: ignore[arg-type]
    assert code == 0
    return out.getvalue()


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]  # noqa: SLF001
    return dict(commands.choices)


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings  # noqa: SLF001
            if not isinstance(action, argparse._HelpAction)}  # noqa: SLF001


def _command_part(shell: str, text: str, name: str) -> str:
    """The part of the script that completes one command's words."""
    if shell == "bash":
        (line,) = [line for line in text.splitlines() if line.startswith(f"        {name}) COMPREPLY=")]
        return line
    start = text.index(f"                {name}) _arguments")
    return text[start:text.index(";;", start)]


@pytest.mark.parametrize("shell", SHELLS)
def test_every_command_and_each_of_its_options_is_in_the_script(shell):
    # Given the parser layer7ctl runs with, and the script it prints
    parser = build_parser("layer7ctl")
    text = _printed(shell)
    commands = _subcommands(parser)
    assert len(commands) >= 9
    # Then every global option is offered, and every command with each of its options and their choices
    assert {flag for flag in _flags(parser) if flag not in text} == set()
    for name, command in commands.items():
        part = _command_part(shell, text, name)
        flag_form = "{flag}" if shell == "bash" else "'{flag}["
        assert {flag for flag in _flags(command) if flag_form.format(flag=flag) not in part} == set(), name
        for action in command._actions:  # noqa: SLF001
            assert all(str(choice) in (part if not action.option_strings else text)
                       for choice in action.choices or ()), (name, action.dest)


def _complete(script: str, *words: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash's completion function offers for a command line whose last word is being typed."""
    line = " ".join(f"'{word}'" for word in words)
    program = (f"{script}\nCOMP_WORDS=(layer7ctl {line}); COMP_CWORD={len(words)}; _layer7ctl; "
               'printf "%s\\n" "${COMPREPLY[@]}"')
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run([bash, "--norc", "--noprofile", "-c", program], capture_output=True, text=True,
                            check=True, env=env)
    return [word for word in result.stdout.splitlines() if word]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_commands_options_and_choices_from_the_script():
    script = _printed("bash")
    assert _complete(script, "s") == ["start", "status", "stop"]
    assert _complete(script, "--output", "json", "li") == ["list"]  # an option's value is no command
    assert _complete(script, "list", "--status", "S") == ["SUCCEEDED"]
    assert _complete(script, "list", "--wo") == ["--workflow"]
    assert _complete(script, "start", "--layer4", "") == ["remove", "keep"]
    assert _complete(script, "completion", "z") == ["zsh"]
    assert _complete(script, "undo", "--host", "") == []  # a host cannot be guessed: no file names either


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_profiles_from_the_files_the_aws_cli_reads(tmp_path):
    # Given a config file with two profiles and the default, and a credentials file with one more and the default
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[default]\nregion = us-west-2\n[profile ops]\nregion = eu-west-1\n[profile ops-dev]\n"
                      "[sso-session corp]\nsso_region = us-east-1\n")
    credentials.write_text("[default]\naws_access_key_id = A\n[batch]\naws_access_key_id = B\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
    script = _printed("bash")
    # Then --profile offers each profile once, and no sso-session
    assert _complete(script, "--profile", "", env=env) == ["batch", "default", "ops", "ops-dev"]
    assert _complete(script, "list", "--profile", "op", env=env) == ["ops", "ops-dev"]


def test_the_zsh_script_autoloads_from_fpath_or_registers_when_sourced():
    text = _printed("zsh")
    assert text.startswith("#compdef layer7ctl\n")
    assert "compdef _layer7ctl layer7ctl" in text and "'--status[only executions with this status]:status:(" in text
