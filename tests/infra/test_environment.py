"""The functions' environment as synthesized: what the stack writes, each handler reads back as the stack's model."""

from __future__ import annotations

from dataclasses import replace

from layer7.environment import FunctionEnvironment


def test_every_function_reads_back_the_environment_the_stack_wrote(vpc_synth):
    # Given the model the stack built from its configuration (hosted zone, host, subnets)
    written = vpc_synth.stack.steps.environment
    assert written.hosted_zone_id and written.subnet_ids and written.dns_record_name
    for key, function in vpc_synth.of_type("AWS::Lambda::Function").items():
        # When a handler reads its function's variables (tokens, resolved only at deploy, left out)
        variables = {name: value for name, value in function["Properties"]["Environment"]["Variables"].items()
                     if isinstance(value, str)}
        read = FunctionEnvironment.from_environment(variables)
        # Then it is that model (ValidateUndo's related state machines are tokens, checked in test_undo_workflow)
        assert replace(read, related_state_machine_arns=()) == written, key
