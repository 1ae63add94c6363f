"""The stack's configuration, read once from CDK context and checked.

CONTRACT.md "Stack configuration" names the keys. Values arrive as JSON from
``cdk.json`` or as strings from ``-c key=value`` (the sandbox passes strings
too), so every reader accepts both. A bad value fails synth with a message
naming the key, rather than producing a stack that fails at run time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from stacks.names import STACK_NAME

_CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")
_K8S_NAMESPACE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
_SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+$")
_HOST = re.compile(r"^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# Loose on purpose: SNS itself checks the address when it sends the confirmation mail.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
_ARCHITECTURES = ("arm64", "x86_64")
_SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
# EventBridge Scheduler's recurring expressions (user guide, "Schedule types"); a one-time at() is no schedule.
_SCHEDULE = re.compile(r"^(rate\(\s*[1-9]\d*\s+(minute|minutes|hour|hours|day|days)\s*\)|cron\([^()]+\))$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$")
# CloudFormation's stack name (API Reference, CreateStack, StackName): "can contain only alphanumeric characters
# (case-sensitive) and hyphens. It must start with an alphabetic character and can't be longer than 128 characters."
# Shorter here: the stack's EventBridge rules are named <stack>-<suffix>, at most 64 characters (EventBridge API
# Reference, PutRule, Name), and the longest suffix is -SetupRequested / -NewCertificate (15).
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
MAX_STACK_NAME_LENGTH = 64 - len("-SetupRequested")

# context vpcId=none: the functions run outside any VPC, said on purpose. vpcId has no default: a deploy that
# leaves it out would move functions deployed in a VPC out of it (README "Deploying to AWS", keep it in cdk.json).
NO_VPC = "none"

# Defaults of the context keys (cdk.json sets the same; the README's table says why).
DEFAULT_STACK_NAME = STACK_NAME
DEFAULT_NAMESPACE = "milvus"
DEFAULT_ARCHITECTURE = "arm64"
DEFAULT_PYTHON_VERSION = "3.14"
NEWEST_PYTHON_VERSION = "3.14"  # cdk-nag's AwsSolutions-L1 wants the newest runtime
# The Lambda Python runtimes the stack builds for: stacks/functions.py RUNTIMES takes each from the CDK's Runtime enum.
PYTHON_VERSIONS = ("3.11", "3.12", "3.13", "3.14")
# Lambda's python3.11 runs on Amazon Linux 2 (glibc 2.26), 3.12 and later on Amazon Linux 2023 (glibc 2.34): the
# layers' locked wheels (numpy, pandas) need a glibc newer than 2.26, so 3.11 is for the sandbox only (bundling.py).
OLDEST_AWS_PYTHON_VERSION = "3.12"


_FULL_SECRET_ARN_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


def is_full_secret_arn(arn: str) -> bool:
    """Whether an ARN ends like one Secrets Manager returns (``<name>-`` and six random characters).

    A partial ARN whose name happens to end that way looks the same; such an
    ARN is taken as full and its grant then names no secret (the run says it
    cannot read it). Give the ARN as Secrets Manager returns it.
    """
    return bool(_FULL_SECRET_ARN_SUFFIX.search(arn.partition(":secret:")[2]))


class ConfigError(ValueError):
    """A context value the stack cannot be built from."""


@dataclass(frozen=True)
class StackConfig:
    """Typed CDK context; ``None`` / empty means "not configured"."""

    cluster_name: str
    # The CloudFormation stack's name (context stackName): every name, rule and event pattern the stack writes
    # carries it, so stacks with other names live side by side in one account and region.
    stack_name: str = DEFAULT_STACK_NAME
    namespace: str = DEFAULT_NAMESPACE
    vpc_id: str | None = None
    private_subnet_ids: tuple[str, ...] = ()
    host: str | None = None
    certificate_secret_arn: str | None = None
    create_access_entry: bool = True
    hosted_zone_id: str | None = None
    lambda_architecture: str = DEFAULT_ARCHITECTURE
    lambda_python_version: str = DEFAULT_PYTHON_VERSION
    verify_retry_interval_seconds: int = 10
    verify_max_attempts: int = 6
    alarm_email: str | None = None
    alarm_topic_arn: str | None = None
    certificate_rotation: bool = False
    skip_layer_bundling: bool = False
    # The stack is deployed into the local sandbox, whose functions run on this machine's Python (3.11 allowed).
    sandbox: bool = False
    # The ALB listener ports the functions' security group may reach (VerifyGrpc); Validate refuses others.
    alb_listen_ports: tuple[int, ...] = (443,)
    # The undo's CheckLayer4 and VerifyLayer4 dial the Layer-4 load balancer on these (layer4Verify.port is one).
    layer4_ports: tuple[int, ...] = (19530,)
    # The EKS cluster security group: the stack lets the functions in on 443 (a private endpoint needs it).
    cluster_security_group_id: str | None = None
    # Customer-managed KMS keys that encrypt the secrets the workflow reads (kms:Decrypt via Secrets Manager).
    secrets_kms_key_arns: tuple[str, ...] = ()
    # The drift check of every recorded host on this EventBridge Scheduler expression; None: no schedule.
    drift_check_schedule: str | None = None
    # The schedule's checks also repair what is safe to repair (input {"repair": true}, stacks/drift_schedule.py).
    drift_repair: bool = False

    @property
    def in_vpc(self) -> bool:
        return self.vpc_id is not None

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> StackConfig:
        """Build from a context getter such as ``app.node.try_get_context``."""
        vpc_given = not _blank(get("vpcId"))
        no_vpc = vpc_given and str(get("vpcId")).strip().lower() == NO_VPC
        vpc_id = None if no_vpc else _optional(get, "vpcId", _VPC_ID,
                                               f"a VPC id such as vpc-0123456789abcdef0, or {NO_VPC}")
        subnets = _subnet_list(get("privateSubnetIds"))
        if vpc_id and not subnets:
            raise ConfigError("context 'vpcId' and 'privateSubnetIds' go together: give both, or vpcId=none "
                              "and no subnets")
        if subnets and not vpc_id:
            raise ConfigError("context 'privateSubnetIds' needs 'vpcId': give the VPC of the subnets, or "
                              "vpcId=none and no subnets")
        cluster_security_group_id = _optional(get, "clusterSecurityGroupId", _SECURITY_GROUP_ID,
                                              "a security group id such as sg-0123456789abcdef0")
        if cluster_security_group_id and not vpc_id:
            raise ConfigError("context 'clusterSecurityGroupId' needs 'vpcId' and 'privateSubnetIds': the rule lets "
                              "the functions' security group in, and they have one only in a VPC")
        cluster_name = _optional(get, "clusterName", _CLUSTER_NAME, "an EKS cluster name")
        if cluster_name is None:
            raise ConfigError("context 'clusterName' is required: the EKS cluster the workflow manages")
        host = _optional(get, "host", _HOST, "a lower-case DNS name", transform=str.lower)
        secret_arn = _optional(get, "certificateSecretArn", _SECRET_ARN, "a Secrets Manager secret ARN")
        alarm_email = _optional(get, "alarmEmail", _EMAIL, "an e-mail address")
        alarm_topic_arn = _optional(get, "alarmTopicArn", _TOPIC_ARN, "an SNS topic ARN")
        if alarm_email and alarm_topic_arn:
            raise ConfigError("context 'alarmEmail' and 'alarmTopicArn' exclude each other: give the e-mail "
                              "(a topic is created) or an existing topic, not both")
        rotation = _boolean(get("certificateRotation"), "certificateRotation", default=False)
        if rotation and not (host and secret_arn):
            raise ConfigError("context 'certificateRotation=true' needs 'host' and 'certificateSecretArn': "
                              "the executions it starts have input {} and take both from the stack")
        if rotation and secret_arn and not is_full_secret_arn(secret_arn):
            raise ConfigError("context 'certificateSecretArn' must be the secret's full ARN, with the six-character "
                              "suffix Secrets Manager appends (aws secretsmanager describe-secret --secret-id NAME "
                              f"--query ARN), when certificateRotation is true; got {secret_arn!r}")
        drift_check_schedule = _optional(get, "driftCheckSchedule", _SCHEDULE,
                                         "an EventBridge Scheduler rate() or cron() expression such as rate(1 hour)")
        drift_repair = _boolean(get("driftRepair"), "driftRepair", default=False)
        python_version = _choice(get("lambdaPythonVersion"), "lambdaPythonVersion", PYTHON_VERSIONS,
                                 DEFAULT_PYTHON_VERSION)
        sandbox = _boolean(get("sandbox"), "sandbox", default=False)
        if not sandbox and _version(python_version) < _version(OLDEST_AWS_PYTHON_VERSION):
            raise ConfigError(
                f"context 'lambdaPythonVersion={python_version}' cannot deploy to AWS: Lambda's python{python_version} "
                "runs on Amazon Linux 2 (glibc 2.26), and the layers' locked wheels (numpy and pandas among them) "
                "are built for a newer glibc, so the functions would deploy and then fail to import. Use "
                f"{OLDEST_AWS_PYTHON_VERSION} or later (Amazon Linux 2023, glibc 2.34); 3.11 is for the local "
                "sandbox (context sandbox=true), whose functions run on this machine's Python")
        if drift_repair and not drift_check_schedule:
            raise ConfigError("context 'driftRepair=true' needs 'driftCheckSchedule': the scheduled check is what "
                              "repairs")
        config = cls(
            cluster_name=cluster_name,
            stack_name=_stack_name(get("stackName")),
            namespace=_optional(get, "namespace", _K8S_NAMESPACE, "a Kubernetes namespace name")
            or DEFAULT_NAMESPACE,
            vpc_id=vpc_id,
            private_subnet_ids=subnets,
            host=host,
            certificate_secret_arn=secret_arn,
            create_access_entry=_boolean(get("createAccessEntry"), "createAccessEntry", default=True),
            hosted_zone_id=_optional(get, "hostedZoneId", _HOSTED_ZONE_ID, "a Route 53 hosted zone id (Z...)"),
            lambda_architecture=_choice(get("lambdaArchitecture"), "lambdaArchitecture", _ARCHITECTURES,
                                        DEFAULT_ARCHITECTURE),
            lambda_python_version=python_version,
            sandbox=sandbox,
            verify_retry_interval_seconds=_integer(get("verifyRetryIntervalSeconds"),
                                                   "verifyRetryIntervalSeconds", 10, low=1, high=300),
            verify_max_attempts=_integer(get("verifyMaxAttempts"), "verifyMaxAttempts", 6, low=0, high=20),
            alarm_email=alarm_email,
            alarm_topic_arn=alarm_topic_arn,
            certificate_rotation=rotation,
            skip_layer_bundling=_boolean(get("skipLayerBundling"), "skipLayerBundling", default=False),
            alb_listen_ports=_ports(get("albListenPorts")),
            layer4_ports=_ports(get("layer4Ports"), "layer4Ports", default=19530),
            cluster_security_group_id=cluster_security_group_id,
            secrets_kms_key_arns=_kms_key_arns(get("secretsKmsKeyArns")),
            drift_check_schedule=drift_check_schedule,
            drift_repair=drift_repair,
        )
        if not vpc_given:  # after every other value is read, so that a context with other faults names those first
            raise ConfigError(
                "context 'vpcId' is required: the VPC the functions run in (with 'privateSubnetIds'), or "
                f"vpcId={NO_VPC} to run them outside any VPC. Keep it in cdk.json: a deploy without it must not "
                "move functions that run in a VPC out of it (README \"Deploying to AWS\")")
        return config


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _optional(get: Callable[[str], Any], key: str, pattern: re.Pattern[str], what: str,
              transform: Callable[[str], str] = lambda text: text) -> str | None:
    value = get(key)
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise ConfigError(f"context '{key}' must be a string ({what}), got {value!r}")
    text = transform(value.strip())
    if not pattern.match(text):
        raise ConfigError(f"context '{key}' must be {what}, got {value!r}")
    return text


def _stack_name(value: Any) -> str:
    if _blank(value):
        return DEFAULT_STACK_NAME
    if not isinstance(value, str) or not _STACK_NAME.match(value.strip()) or len(value.strip()) > MAX_STACK_NAME_LENGTH:
        raise ConfigError(f"context 'stackName' must be a CloudFormation stack name: a letter, then letters, digits "
                          f"and hyphens, at most {MAX_STACK_NAME_LENGTH} characters (the stack's rules are named "
                          f"<stackName>-SetupRequested, at most 64); got {value!r}")
    return value.strip()


def _subnet_list(value: Any) -> tuple[str, ...]:
    """A comma-separated string, a JSON list in a string, or a list."""
    if _blank(value):
        return ()
    items: Any = value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as error:
                raise ConfigError(f"context 'privateSubnetIds' is not a valid JSON list: {error}") from error
        else:
            items = [part for part in text.split(",")]
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ConfigError(f"context 'privateSubnetIds' must be subnet ids, comma-separated or a JSON list, "
                          f"got {value!r}")
    subnets = tuple(item.strip() for item in items if item.strip())
    bad = [subnet for subnet in subnets if not _SUBNET_ID.match(subnet)]
    if bad or not subnets:
        raise ConfigError(f"context 'privateSubnetIds' must hold subnet ids such as subnet-0123456789abcdef0, "
                          f"got {value!r}")
    return subnets


def _items(value: Any, key: str) -> list[Any]:
    """A comma-separated string, a JSON list in a string, or a list."""
    if _blank(value):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return list(json.loads(text))
            except (json.JSONDecodeError, TypeError) as error:
                raise ConfigError(f"context '{key}' is not a valid JSON list: {error}") from error
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, list):
        return value
    raise ConfigError(f"context '{key}' must be a comma-separated list or a JSON list, got {value!r}")


def _ports(value: Any, key: str = "albListenPorts", default: int = 443) -> tuple[int, ...]:
    ports = []
    for item in _items(value, key) or [default]:
        text = str(item).strip()
        if not text.isdigit() or not 1 <= int(text) <= 65535:
            raise ConfigError(f"context '{key}' must hold ports 1-65535, got {item!r}")
        ports.append(int(text))
    return tuple(dict.fromkeys(ports))


def _kms_key_arns(value: Any) -> tuple[str, ...]:
    arns = tuple(str(item).strip() for item in _items(value, "secretsKmsKeyArns"))
    bad = [arn for arn in arns if not _KMS_KEY_ARN.match(arn)]
    if bad:
        raise ConfigError(f"context 'secretsKmsKeyArns' must hold KMS key ARNs (arn:aws:kms:REGION:ACCOUNT:key/ID), "
                          f"got {bad[0]!r}")
    return arns


def _boolean(value: Any, key: str, *, default: bool) -> bool:
    if _blank(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigError(f"context '{key}' must be true or false, got {value!r}")


def _integer(value: Any, key: str, default: int, *, low: int, high: int) -> int:
    if _blank(value):
        return default
    if isinstance(value, bool):
        raise ConfigError(f"context '{key}' must be a whole number, got {value!r}")
    try:
        number = int(value.strip()) if isinstance(value, str) else value
    except ValueError as error:
        raise ConfigError(f"context '{key}' must be a whole number, got {value!r}") from error
    if not isinstance(number, int) or not low <= number <= high:
        raise ConfigError(f"context '{key}' must be a whole number from {low} to {high}, got {value!r}")
    return number


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _choice(value: Any, key: str, choices: tuple[str, ...], default: str) -> str:
    if _blank(value):
        return default
    if value not in choices:
        raise ConfigError(f"context '{key}' must be one of {', '.join(choices)}, got {value!r}")
    return value
