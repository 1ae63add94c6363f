"""moto's server, in this process, with the fixes the sandbox needs.

Why in-process: the sandbox mends moto by patching its backends (Lambda runs
the deployed code, EventBridge starts executions, EKS points at the
Kubernetes stand-in), which is only possible when the server shares our
interpreter. `MotoSandbox` starts moto's `ThreadedMotoServer` on 127.0.0.1
(a free port), turns on the Step Functions interpreter, installs the patches
and hands out boto3 clients pointing at it.

The endpoint is `http://localhost:PORT`, not 127.0.0.1: the CDK CLI uploads
the template to S3 and passes its URL to CloudFormation, and moto only
recognises an S3 URL whose host is a name (with 127.0.0.1 it misreads the
bucket). Fake credentials testing/testing, account 123456789012 (moto's
default). moto's state is process-wide: run one MotoSandbox at a time.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from sandbox.aws.faults import FaultyApp
from sandbox.dataplane.processes import free_port
from sandbox.faults import Faults

ACCOUNT_ID = "123456789012"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"  # noqa: S105 - moto's fake credentials
# The release whose internals sandbox/aws/*.py patch (requirements-dev.txt pins it).
MOTO_VERSION = "5.2.5"


class MotoVersionError(RuntimeError):
    """The installed moto is not the one the sandbox's patches were written for."""


def installed_moto_version() -> str | None:
    try:
        return importlib.metadata.version("moto")
    except importlib.metadata.PackageNotFoundError:
        return None


def check_moto_version(installed: str | None) -> None:
    """Refuse to patch a moto whose internals may differ: say what to install."""
    if installed == MOTO_VERSION:
        return
    found = f"moto {installed} is installed" if installed else "moto is not installed"
    raise MotoVersionError(
        f"the sandbox needs moto {MOTO_VERSION} (sandbox/aws/*.py patch its internals), but {found}: "
        "run `make install` to install the locked versions"
    )


class MotoSandbox:
    """A running moto: `.endpoint`, `.client(service)`, EKS/VPC helpers.

    `clock_scale` is the pace of the waits Step Functions plays (sfn_clock). `lambda_env` adds variables to every
    Lambda invocation's environment, after the function's own (the load balancers' port map); `cache_dir` is where
    deployed code and layer zips are unpacked (keyed by sha256, reused across runs).
    """

    def __init__(self, *, cache_dir: str | os.PathLike[str] | None = None, clock_scale: float = 1.0,
                 faults: Faults | None = None) -> None:
        self.region = "us-east-1"
        self.account_id = ACCOUNT_ID
        self.clock_scale = clock_scale
        self.cache_dir = Path(cache_dir) if cache_dir else Path.home() / ".cache" / "milvus-layer7-sandbox"
        self.lambda_env: dict[str, str] = {}
        self.port: int | None = None
        self._server: Any = None
        self._faults = faults
        self._faulty: FaultyApp | None = None

    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise RuntimeError("MotoSandbox is not started")
        return f"http://localhost:{self.port}"

    def start(self) -> MotoSandbox:
        check_moto_version(installed_moto_version())
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        from sandbox.aws import (
            acm_fixes,
            cfn_models,
            events_delivery,
            lambda_runner,
            route53_fixes,
            schedules,
            secret_events,
            sfn_clock,
            sfn_fixes,
        )

        if self._server is not None:
            return self
        self.port = free_port()
        # The ASL interpreter's own boto clients (asl/utils/boto_client.py) and
        # moto's settings read MOTO_PORT: they must reach this server.
        os.environ["MOTO_PORT"] = str(self.port)
        default_user_config["stepfunctions"]["execute_state_machine"] = True
        default_user_config["lambda"]["use_docker"] = True  # the real backend; invoke is patched
        sfn_fixes.install()
        sfn_clock.install()  # Wait states at the sandbox's clock scale
        sfn_clock.set_scale(self.clock_scale)
        events_delivery.install()
        secret_events.install()  # Secrets Manager moving AWSCURRENT -> "Secret Label Updated" events
        cfn_models.install()
        schedules.install()  # AWS::Scheduler::Schedule deployed into moto's Scheduler; fired by run_schedules()
        route53_fixes.install()  # CNAME conflicts refused, changes PENDING before INSYNC
        acm_fixes.install()  # re-import keeps key type and tags; InUseBy from ELBv2
        lambda_runner.install(lambda_runner.RunnerConfig(
            endpoint=self.endpoint, region=self.region, cache_dir=self.cache_dir / "lambda",
            extra_env=self.lambda_env))
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # it logs every request otherwise
        # cdk bootstrap's bucket policy is the one resource moto skips; saying so
        # on every start only hides what matters in the demo's view.
        warnings.filterwarnings("ignore", message="Tried to parse AWS::S3::BucketPolicy")
        logging.getLogger("moto").addFilter(_not_bucket_policy_notice)  # added once, however often
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        # Faults go in front of moto's app: werkzeug's request handler reads the server's ``app`` on every request
        # (werkzeug/serving.py WSGIRequestHandler.run_wsgi), so wrapping it once the server runs covers every call.
        wsgi = self._server._server
        self._faulty = wsgi.app = FaultyApp(wsgi.app)
        self.set_faults(self._faults)
        # moto's backends live in this process, not in the server: a sandbox
        # started after another one (a second test module) must start empty.
        self.reset()
        return self

    def set_faults(self, faults: Faults | None) -> None:
        """Answer a share of the Lambda functions' calls with AWS's faults (``sandbox/aws/faults.py``), fresh
        dice from ``faults``' seed on, per ``aws.*`` target, and kill a share of their invocations (its ``lambda``
        target, sandbox/aws/lambda_kills.py); None turns them off."""
        from sandbox.aws import lambda_kills

        self._faults = faults
        lambda_kills.set_faults(faults)
        if self._faulty is not None:
            self._faulty.set_faults(faults)

    @property
    def faults_thrown(self) -> dict[str, list[str]]:
        return self._faulty.thrown() if self._faulty is not None else {}

    def stop(self) -> None:
        from sandbox.aws.lambda_environments import POOL

        if self._server is not None:
            self._server.stop()
            self._server = None
        POOL.shutdown()  # no Lambda environment outlives its sandbox

    def reset(self) -> None:
        """Forget every resource (moto's /moto-api/reset)."""
        req = urllib.request.Request(self.endpoint + "/moto-api/reset", data=b"", method="POST")  # noqa: S310 - local moto
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - local moto
            resp.read()

    def client_env(self) -> dict[str, str]:
        """Environment that points AWS SDKs and CLIs at this moto."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def client(self, service: str, **kwargs: Any) -> Any:
        kwargs.setdefault("region_name", self.region)
        kwargs.setdefault("config", Config(retries={"max_attempts": 2}, read_timeout=900))
        return boto3.client(  # type: ignore[call-overload]  # any service by name; the stubs type literal names
            service, endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            **kwargs)


def _not_bucket_policy_notice(record: logging.LogRecord) -> bool:
    """Drop moto's notice that it skips cdk bootstrap's bucket policy."""
    return "AWS::S3::BucketPolicy" not in record.getMessage()
