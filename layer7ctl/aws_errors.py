"""AWS SDK exceptions as one line an operator can act on.

botocore's own messages are right but say nothing about what to change on
this command line; a traceback says even less. Codes the command line can
cause (a wrong ARN, name or stack) exit USAGE; everything that means AWS
could not be reached or would not answer exits AWS_UNAVAILABLE.
"""

from __future__ import annotations

from botocore import exceptions as sdk

from layer7ctl.exits import AWS_UNAVAILABLE, USAGE, OperatorError

_STATE_MACHINE_HINT = ("check --state-machine-arn / --undo-state-machine-arn and their environment variables, "
                       "or leave them out to read the stack's outputs")
_EXECUTION_HINT = "pass an execution ARN from `python -m layer7ctl list`"

# Error code -> (exit code, what to do). {region} is filled in.
_BY_CODE: dict[str, tuple[int, str]] = {
    "StateMachineDoesNotExist": (USAGE, f"no such state machine in {{region}}: {_STATE_MACHINE_HINT}"),
    "ExecutionDoesNotExist": (USAGE, f"no such execution in {{region}}: {_EXECUTION_HINT} (and --region)"),
    "ExecutionAlreadyExists": (USAGE, "an execution with this --name already exists: choose another name"),
    "InvalidName": (USAGE, "--name is not a valid execution name (1-80 letters, digits, - and _)"),
    "InvalidExecutionInput": (USAGE, "Step Functions refused the input: fix --input or the flags"),
    "AccessDenied": (AWS_UNAVAILABLE, "access denied: use credentials whose IAM policy allows it"),
    "AccessDeniedException": (AWS_UNAVAILABLE, "access denied: use credentials whose IAM policy allows it"),
    "UnrecognizedClientException": (AWS_UNAVAILABLE, "the credentials are not valid here: check AWS_PROFILE"),
    "InvalidClientTokenId": (AWS_UNAVAILABLE, "the credentials are not valid here: check AWS_PROFILE"),
    "ExpiredToken": (AWS_UNAVAILABLE, "the credentials have expired: renew them (aws sso login)"),
    "ExpiredTokenException": (AWS_UNAVAILABLE, "the credentials have expired: renew them (aws sso login)"),
    "ThrottlingException": (AWS_UNAVAILABLE, "AWS is throttling these calls: try again in a minute"),
    "Throttling": (AWS_UNAVAILABLE, "AWS is throttling these calls: try again in a minute"),
    "TooManyRequestsException": (AWS_UNAVAILABLE, "AWS is throttling these calls: try again in a minute"),
}


def _one_line(text: object) -> str:
    return " ".join(str(text).splitlines())


def _invalid_arn(operation: str) -> str:
    if operation in ("DescribeExecution", "GetExecutionHistory"):
        return f"that is not an execution ARN: {_EXECUTION_HINT}"
    return f"that is not a state machine ARN: {_STATE_MACHINE_HINT}"


def explain(error: Exception, region: str | None) -> OperatorError:
    """The OperatorError to report for an exception boto3 raised."""
    where = region or "the configured region"
    if isinstance(error, sdk.ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = _one_line(error.response.get("Error", {}).get("Message", ""))
        operation = error.operation_name
        if code == "InvalidArn":
            exit_code, advice = USAGE, _invalid_arn(operation)
        else:
            exit_code, advice = _BY_CODE.get(code, (AWS_UNAVAILABLE, "AWS refused the call in {region}"))
        return OperatorError(f"{operation}: {code}: {message} -- {advice.format(region=where)}", exit_code)
    if isinstance(error, sdk.ProfileNotFound):
        return OperatorError(f"{_one_line(error)}: check --profile and AWS_PROFILE (`aws configure list-profiles`)",
                             USAGE)
    if isinstance(error, sdk.NoRegionError):
        return OperatorError("no AWS region configured: pass --region or set AWS_REGION", AWS_UNAVAILABLE)
    if isinstance(error, (sdk.NoCredentialsError, sdk.PartialCredentialsError)):
        return OperatorError(f"{_one_line(error)}: set AWS_PROFILE, run `aws configure` or `aws sso login`",
                             AWS_UNAVAILABLE)
    if isinstance(error, (sdk.ConnectionError, sdk.HTTPClientError)):
        return OperatorError(f"{_one_line(error)}: check the network, --region and AWS_ENDPOINT_URL",
                             AWS_UNAVAILABLE)
    if isinstance(error, sdk.BotoCoreError):
        return OperatorError(f"the AWS SDK gave up: {_one_line(error)}", AWS_UNAVAILABLE)
    raise TypeError(f"not an AWS SDK error: {error!r}")
