"""Taking it down: the stack says at every deploy what a destroy leaves, and names a command that exists."""

from __future__ import annotations

import shlex


def test_the_before_destroy_output_names_the_teardown_command_layer7ctl_runs(default_synth):
    from layer7ctl.parser import build_parser

    value = default_synth.raw["Outputs"]["BeforeDestroy"]["Value"]
    # Given the command the output tells the operator to run
    words = value.split("run ", 1)[1].split(":", 1)[0]
    assert words == "layer7ctl teardown --start"
    # Then layer7ctl parses it as its teardown, starting the undos
    args = build_parser("layer7ctl").parse_args(shlex.split(words)[1:])
    assert (args.command, args.start) == ("teardown", True)
    # and the output names what stays without it
    for left in ("ACM certificate", "Ingress", "ALB", "Route 53 alias", "ClusterIP"):
        assert left in value
