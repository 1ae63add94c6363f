"""Six mends to moto 5.2.5's Step Functions.

1. ``arn:aws:states:::states:startExecution(.sync|.sync:2)`` fails with ``States.Runtime`` /
   ``'StateMachineArn'``: the ASL interpreter (ported from LocalStack) leaves
   ``StateTaskService._normalise_parameters`` and ``_normalise_response`` as no-ops, so boto3 gets
   ``StateMachineArn`` for ``stateMachineArn`` and the state gets ``executionArn`` for ``ExecutionArn``. Both
   are converted with the operation's botocore shapes, as LocalStack does, by moto's own ``_to_boto_request``
   and ``_from_boto_response``; only the ``states:`` integration changes.
2. CloudFormation creates state machines in ``stepfunctions_backends``, but with execute_state_machine on the
   API serves ``stepfunctions_parser_backends``: CloudFormation is pointed at the latter.
3. StartExecution without a ``name`` is called ``None`` by the parser backend (a second one fails with
   ExecutionAlreadyExists); AWS, like moto's own backend, names it with a UUID.
4. A Task whose Resource is a function ARN (CDK's LambdaInvoke with ``payload_response_only``) reports an error
   of the Invoke call itself (an Inactive function, throttling) as ``Exception``; Step Functions names it
   ``Lambda.<ExceptionName>`` (developer guide, "Handle transient Lambda service exceptions"), as moto's
   ``lambda:invoke`` integration (StateTaskServiceLambda) already does, and Retry matches that.
5. StartExecution's ``input`` has "Maximum length of 262144" (API reference, StartExecution; the 256 KiB
   quota, "Step Functions service quotas"), refused with a ValidationException that leaves the (sensitive)
   value out; moto takes any size.
6. StopExecution answers without ``stopDate`` ("Required: Yes", API reference, StopExecution) and drops the
   request's ``error`` and ``cause``, which the execution's ``ExecutionAborted`` event carries.
"""

from __future__ import annotations

import functools
from typing import Any

MAX_INPUT_BYTES = 262144  # StartExecution input, as UTF-8


@functools.lru_cache(maxsize=None)
def _operation_shapes(service: str, action_snake: str) -> tuple[Any, Any]:
    import botocore.session

    model = botocore.session.get_session().get_service_model(service)
    wanted = action_snake.replace("_", "").lower()
    for name in model.operation_names:
        if name.lower() == wanted:
            operation = model.operation_model(name)
            return operation.input_shape, operation.output_shape
    return None, None


@functools.cache  # the patches are process-wide, as moto's classes are: applied once
def install() -> None:
    _install_sfn_casing()
    _install_cfn_backend()
    _install_execution_names()
    _install_lambda_service_error_names()
    _install_stop_execution()


def _install_stop_execution() -> None:
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.stepfunctions.responses import StepFunctionResponse

    def stop_execution(self: Any) -> Any:
        # moto's own lookup, with its InvalidArn and ExecutionDoesNotExist answers
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        stop_date = utcnow()
        execution.stop(stop_date=stop_date, error=self._get_param("error"), cause=self._get_param("cause"))
        return ActionResult({"stopDate": stop_date})

    StepFunctionResponse.stop_execution = stop_execution  # type: ignore[method-assign]  # the patch itself


def _install_sfn_casing() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    original_params = StateTaskServiceSfn._normalise_parameters

    def _normalise_parameters(self: Any, parameters: dict, boto_service_name: str | None = None,
                              service_action_name: str | None = None) -> None:
        original_params(self, parameters, boto_service_name, service_action_name)
        action = self._get_boto_service_action(service_action_name)
        input_shape, _ = _operation_shapes("stepfunctions", action)
        if input_shape is not None and isinstance(parameters, dict):
            self._to_boto_request(parameters, input_shape)

    def _normalise_response(self: Any, response: Any, boto_service_name: str | None = None,
                            service_action_name: str | None = None) -> None:
        action = self._get_boto_service_action(service_action_name)
        _, output_shape = _operation_shapes("stepfunctions", action)
        if output_shape is not None and isinstance(response, dict):
            self._from_boto_response(response, output_shape)

    StateTaskServiceSfn._normalise_parameters = _normalise_parameters  # type: ignore[method-assign]  # the patch itself
    StateTaskServiceSfn._normalise_response = _normalise_response  # type: ignore[method-assign]  # the patch itself


def _install_cfn_backend() -> None:
    import moto.stepfunctions.models as models
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    # Only the name the CloudFormation hooks read: moto's server finds a
    # service's URL module through `moto.stepfunctions.stepfunctions_backends`.
    models.stepfunctions_backends = stepfunctions_parser_backends  # type: ignore[assignment]  # the parser's backends stand in


def _install_execution_names() -> None:
    import uuid

    from moto.stepfunctions.exceptions import ValidationException
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self: Any, state_machine_arn: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        execution_input = kwargs.get("execution_input", args[0] if args else None)
        if isinstance(execution_input, str) and len(execution_input.encode("utf-8")) > MAX_INPUT_BYTES:
            raise ValidationException("1 validation error detected: Value at 'input' failed to satisfy constraint: "
                                      f"Member must have length less than or equal to {MAX_INPUT_BYTES}")
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]  # the patch itself


def _install_lambda_service_error_names() -> None:
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, LambdaFunctionFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    original = StateTaskLambda._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, ClientError):
            return original(self, env, ex)
        error = f"Lambda.{ex.response['Error']['Code']}"
        status = ex.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        cause = f"{ex.response['Error'].get('Message', '')} (Service: Lambda, Status Code: {status})"
        return FailureEvent(
            env=env, error_name=CustomErrorName(error), event_type=HistoryEventType.LambdaFunctionFailed,
            # EventDetails is a total TypedDict in moto's stubs, yet moto fills in one key, as here
            event_details=EventDetails(lambdaFunctionFailedEventDetails=LambdaFunctionFailedEventDetails(  # type: ignore[typeddict-item]
                error=error, cause=cause)))

    StateTaskLambda._from_error = _from_error  # type: ignore[method-assign]  # the patch itself
