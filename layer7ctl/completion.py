"""Shell completion scripts (bash, zsh), written from the parser itself so they cannot drift from it.

``layer7ctl completion bash`` prints a script for ``source`` or a completions
directory; no dependency (argcomplete would run Python on every Tab). Each
option that takes a value completes its choices where argparse has them, a
file for ``--input``, and nothing else (a host or an ARN cannot be guessed).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

SHELLS = ("bash", "zsh")
# The profile names in the files the AWS CLI and boto3 read (AWS CLI user guide, "Configuration and credential file
# settings": `[profile NAME]` and `[default]` in the config file, `[NAME]` in the credentials file, each file
# moved by AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE).
PROFILES_SH = ("{ sed -n -e 's/^\\[profile  *\\([^]]*\\)\\]$/\\1/p' -e 's/^\\[\\(default\\)\\]$/\\1/p' "
               '"${AWS_CONFIG_FILE:-$HOME/.aws/config}" 2>/dev/null; '
               "sed -n 's/^\\[\\([^]]*\\)\\]$/\\1/p' \"${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}\" "
               "2>/dev/null; } | sort -u")
NAME = "layer7ctl"  # the installed name the scripts register for (pyproject.toml [project.scripts])


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    help: str
    takes_value: bool
    choices: tuple[str, ...] = ()
    is_file: bool = False
    is_profile: bool = False


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple[Option, ...]
    # Its positional arguments' choices, in order (empty where any word goes, such as an execution ARN).
    positionals: tuple[tuple[str, ...], ...] = ()


def _options(parser: argparse.ArgumentParser) -> tuple[Option, ...]:
    found = []
    for action in parser._actions:  # noqa: SLF001 - argparse has no public walk over its actions
        if not action.option_strings or isinstance(action, argparse._HelpAction):  # noqa: SLF001
            continue
        found.append(Option(flags=tuple(action.option_strings), help=action.help or "",
                            takes_value=action.nargs != 0,
                            choices=tuple(str(choice) for choice in action.choices or ()),
                            is_file=action.metavar == "FILE", is_profile=action.dest == "profile"))
    return tuple(found)


def _commands(parser: argparse.ArgumentParser) -> tuple[Command, ...]:
    (subparsers,) = [action for action in parser._actions  # noqa: SLF001
                     if isinstance(action, argparse._SubParsersAction)]  # noqa: SLF001
    helps = {choice.dest: choice.help or "" for choice in subparsers._choices_actions}  # noqa: SLF001
    return tuple(Command(name, helps.get(name, ""), _options(command), _positionals(command))
                 for name, command in subparsers.choices.items())


def _positionals(parser: argparse.ArgumentParser) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(str(choice) for choice in action.choices or ())
                 for action in parser._actions if not action.option_strings)  # noqa: SLF001


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    if shell == "bash":
        return _bash(_options(parser), _commands(parser))
    if shell == "zsh":
        return _zsh(_options(parser), _commands(parser))
    raise ValueError(f"no completion for {shell!r}: {', '.join(SHELLS)}")


def _value_cases(context: str, options: tuple[Option, ...]) -> list[str]:
    """bash ``case "$cmd:$prev"`` arms for the options that take a value, one arm per reply."""
    replies: dict[str, list[str]] = {}
    for option in options:
        if not option.takes_value:
            continue
        if option.choices:
            reply = f'COMPREPLY=($(compgen -W "{" ".join(option.choices)}" -- "$cur"))'
        elif option.is_file:
            reply = 'COMPREPLY=($(compgen -f -- "$cur"))'
        elif option.is_profile:
            reply = f'COMPREPLY=($(compgen -W "$(_{NAME}_profiles)" -- "$cur"))'
        else:
            reply = "COMPREPLY=()"  # a value nobody can guess (a host, an ARN): nothing rather than files
        replies.setdefault(reply, []).extend(f"{context}:{flag}" for flag in option.flags)
    return [f"        {'|'.join(patterns)}) {reply}; return ;;" for reply, patterns in replies.items()]


def _bash(global_options: tuple[Option, ...], commands: tuple[Command, ...]) -> str:
    names = " ".join(command.name for command in commands)
    global_flags = " ".join(flag for option in global_options for flag in option.flags)
    value_flags = "|".join(flag for option in global_options if option.takes_value for flag in option.flags)
    arms = _value_cases("*", global_options)
    words = []
    for command in commands:
        arms += _value_cases(command.name, command.options)
        flags = " ".join([*(flag for option in command.options for flag in option.flags),
                          *(choice for choices in command.positionals for choice in choices)])
        words.append(f'        {command.name}) COMPREPLY=($(compgen -W "{flags}" -- "$cur")) ;;')
    return "\n".join([
        f"# bash completion for {NAME}, written by `{NAME} completion bash` from its own parser.",
        f"# Load it with: source <({NAME} completion bash)",
        f"_{NAME}_profiles() {{",
        f"    {PROFILES_SH}",
        "}",
        f"_{NAME}() {{",
        "    local cur prev cmd i",
        '    cur="${COMP_WORDS[COMP_CWORD]}"',
        '    prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    cmd=""',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "${COMP_WORDS[i]}" in',
        f"            {value_flags}) ((i++)) ;;",
        f'            {names.replace(" ", "|")}) cmd="${{COMP_WORDS[i]}}"; break ;;',
        "        esac",
        "    done",
        '    case "${cmd:-_}:$prev" in',
        *arms,
        "    esac",
        '    case "$cmd" in',
        f'        "") COMPREPLY=($(compgen -W "{global_flags} {names}" -- "$cur")) ;;',
        *words,
        "    esac",
        "}",
        f"complete -F _{NAME} {NAME}",
        "",
    ])


def _zsh_text(text: str) -> str:
    """Help text inside a single-quoted ``_arguments`` spec: no brackets or colons, quotes closed and reopened."""
    for raw, safe in (("\\", "\\\\"), ("[", "("), ("]", ")"), (":", ","), ("'", "'\\''")):
        text = text.replace(raw, safe)
    return " ".join(text.split())


def _zsh_specs(options: tuple[Option, ...]) -> list[str]:
    specs = []
    for option in options:
        value = ""
        if option.takes_value:
            action = (f"({' '.join(option.choices)})" if option.choices else "_files" if option.is_file
                      else f"_{NAME}_profiles" if option.is_profile else " ")
            value = f":{option.flags[-1].lstrip('-')}:{action}"
        for flag in option.flags:
            specs.append(f"'{flag}[{_zsh_text(option.help)}]{value}'")
    return specs


def _zsh(global_options: tuple[Option, ...], commands: tuple[Command, ...]) -> str:
    lines = [
        f"#compdef {NAME}",
        f"# zsh completion for {NAME}, written by `{NAME} completion zsh` from its own parser.",
        f"# Load it with: source <({NAME} completion zsh)  (after compinit), or save it as _{NAME} in $fpath.",
        f"_{NAME}_profiles() {{",
        "    local -a profiles",
        f'    profiles=(${{(f)"$({PROFILES_SH})"}})',
        "    compadd -a profiles",
        "}",
        f"_{NAME}() {{",
        "    local curcontext=\"$curcontext\" state line",
        "    typeset -A opt_args",
        "    _arguments -C \\",
        *[f"        {spec} \\" for spec in _zsh_specs(global_options)],
        "        '1:command:->command' \\",
        "        '*::argument:->argument'",
        "    case $state in",
        "        command)",
        "            local -a commands",
        "            commands=(",
        *[f"                '{command.name}:{_zsh_text(command.help)}'" for command in commands],
        "            )",
        "            _describe command commands ;;",
        "        argument)",
        "            case $line[1] in",
    ]
    for command in commands:
        specs = _zsh_specs(command.options)
        lines.append(f"                {command.name}) _arguments \\")
        lines += [f"                    {spec} \\" for spec in specs]
        lines += [f"                    '{place}: :({' '.join(choices)})' \\"
                  for place, choices in enumerate(command.positionals, start=1) if choices]
        lines.append("                    '*: :' ;;")
    lines += [
        "            esac ;;",
        "    esac",
        "}",
        'if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then',
        f'    _{NAME} "$@"',
        "else",
        f"    compdef _{NAME} {NAME}",
        "fi",
        "",
    ]
    return "\n".join(lines)
