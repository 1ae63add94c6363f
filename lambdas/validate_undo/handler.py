"""ValidateUndo's Lambda entry point: it only reads (the input, the executions past, the certificates) and, last,
takes the host's run lock (layer7/run_lock.py), so a refusal changed nothing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from layer7.aws import client
from layer7.environment import FunctionEnvironment
from layer7.errors import InvalidInput
from layer7.input_checks import check_budget
from layer7.managed_certificates import find_managed_certificates
from layer7.models import ValidateEvent
from layer7.observability import logger
from layer7.run_lock import acquire_for_execution
from layer7.undo_models import ValidatedUndo
from validate_undo.history import previous_undo
from validate_undo.logic import validate_undo


@logger.inject_lambda_context(correlation_id_path="correlationId")
def lambda_handler(event: dict[str, Any], context: LambdaContext, *, sfn: Any = None,
                   acm: Any = None, dynamodb: Any = None) -> dict[str, Any]:
    """``sfn``, ``acm`` and ``dynamodb`` let a test hand in their own clients.

    Besides the request it learns, read-only, what tells "already undone" from "never set up" when the cluster
    shows neither: an earlier successful undo (history.py) and the certificates setup imported for the host.
    """
    check_budget(event.get("input") if isinstance(event, dict) else event)
    try:
        parsed = ValidateEvent.model_validate(event)
    except ValidationError as exc:
        if all(error["loc"][:1] == ("input",) for error in exc.errors()):
            raise InvalidInput("input: must be a JSON object") from None
        raise
    stack = FunctionEnvironment.from_environment()
    try:
        request = validate_undo(parsed.input, stack)
    except InvalidInput as exc:
        logger.warning("undo input refused", extra={"reason": str(exc)})
        raise
    previous = None
    if parsed.state_machine_arn:
        sfn = sfn or client("stepfunctions")
        previous = previous_undo(request.host, sfn=sfn, undo_machine=parsed.state_machine_arn,
                                 setup_machines=stack.other_state_machines(parsed.state_machine_arn),
                                 execution_arn=parsed.correlation_id, default_host=stack.host)
    certificates = [certificate.arn for certificate in find_managed_certificates(acm or client("acm"), request.host)]
    taken_over = None
    if parsed.state_machine_arn:  # run by a state machine, whose ending states give the lock back
        taken_over = acquire_for_execution(request.host, parsed.correlation_id, dynamodb=dynamodb or client("dynamodb"),
                                           sfn=sfn or client("stepfunctions"))
    logger.info("undo input accepted", extra={"host": request.host, "namespace": request.namespace,
                                              "service": request.service_name, "ingress": request.ingress_name,
                                              "previousUndo": previous, "managedCertificates": certificates,
                                              "runLockTakenOverFrom": taken_over})
    return ValidatedUndo(request=request, previous_undo=previous, managed_certificates=certificates).to_wire()
