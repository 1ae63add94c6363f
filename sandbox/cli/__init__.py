"""``python -m sandbox demo`` and ``serve``: public interface (docs/CONTRACT.md, "The local sandbox"), outside
scripts rely on every option and on the ``--json`` shape."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sandbox.faults import Faults

CONTROLLER_MODES = ("ok", "reject", "never", "transient", "webhook-deny")  # sandbox/controller/reconcile.py MODES
ALB_DELAY_HELP = "how long the controller stand-in takes to give the Ingress an address (default 3)"


def _positive_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _json_file(text: str) -> Path:
    """A file that holds JSON: any JSON, an object or not (the workflow says what it refuses)."""
    path = Path(text)
    try:
        json.loads(path.read_text())
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {text}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text} is not JSON: {exc}") from None
    return path


def _service_file(text: str) -> Path:
    """A Service manifest the sandbox can seed (YAML or JSON, kind: Service)."""
    from sandbox.environment import load_manifest

    path = Path(text)
    try:
        load_manifest(path)
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {text}: {exc.strerror or exc}") from None
    except ValueError as exc:  # yaml's errors are ValueErrors too
        raise argparse.ArgumentTypeError(str(exc).splitlines()[0]) from None
    return path


def _cert_dir(text: str) -> Path:
    path = Path(text)
    missing = [name for name in ("certificate.pem", "private-key.pem") if not (path / name).is_file()]
    if missing:
        raise argparse.ArgumentTypeError(f"{text} has no {' and no '.join(missing)}")
    return path


def _faults(text: str) -> Faults:
    try:
        return Faults.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Run milvus-layer7 end to end on this machine, with no AWS account.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="deploy the stack into local AWS and run the workflow",
        description=(
            "Start local AWS (moto), a Kubernetes API with a Milvus Service, a load balancer "
            "controller stand-in, a real Milvus (milvus-lite) and nginx as the ALB's data plane; "
            "deploy the CDK app with cdk bootstrap and cdk deploy; send a 'Milvus Layer7 Setup "
            "Requested' event and follow the execution. Exits 0 only when every run succeeded."
        ),
    )
    demo.add_argument("--input", type=_json_file, metavar="FILE",
                      help="execution input (default: a built-in example); the sandbox fills in what "
                           "only it knows, such as host and certificate, when the file leaves them out; input "
                           "that is not a JSON object goes to the workflow as it is, by StartExecution, and is "
                           "refused there")
    demo.add_argument("--cert-dir", type=_cert_dir, metavar="DIR",
                      help="certificate.pem, private-key.pem and optional chain.pem, stored as the "
                           "certificate secret (default: a generated CA and leaf for the host)")
    demo.add_argument("--alb-delay", type=_positive_float, default=3.0, metavar="SECONDS", help=ALB_DELAY_HELP)
    demo.add_argument("--controller", choices=CONTROLLER_MODES, default="ok",
                      help="ok: create the ALB; reject: every deploy fails with FailedDeployModel (AccessDenied), "
                           "retried as the controller retries; never: never assign an address; transient: ELBv2 "
                           "does not see the new certificate for a few seconds, so the first reconciles fail with "
                           "FailedDeployModel (CertificateNotFound) and a later one succeeds; webhook-deny: the "
                           "controller's admission webhook denies the Ingress (its IngressClass alb is missing) "
                           "(default ok)")
    demo.add_argument("--milvus", choices=("up", "down"), default="up",
                      help="down: Milvus stops right after its target passed its first health check, which the "
                           "ALB's checks notice only after unhealthy-threshold-count failures (default up)")
    demo.add_argument("--runs", type=_positive_int, default=1, metavar="N",
                      help="start N executions one after the other with the same input (default 1)")
    demo.add_argument("--service", type=_service_file, metavar="FILE",
                      help="a Service manifest (YAML or JSON) to seed as the Milvus Service instead of the Milvus "
                           "chart's rendering (sandbox/fixtures/milvus-chart-service.yaml); the sandbox routes it "
                           "to its Milvus whatever its selector says")
    demo.add_argument("--dns", action="store_true",
                      help="a Route 53 hosted zone for the host's parent domain holding host as a CNAME (TTL 60) to "
                           "the Layer-4 load balancer; the stack may change it, and dns.hostedZoneId is passed "
                           "unless the input sets it")
    demo.add_argument("--undo", action="store_true",
                      help="after the setup run(s), send a 'Milvus Layer7 Undo Requested' event with the same host, "
                           "namespace, Service, Ingress and dns, and follow the undo: the Service back to "
                           "LoadBalancer (a new NLB), DNS back, the Ingress, ALB and certificate gone; --json "
                           "lists it under undoRuns")
    demo.add_argument("--faults", type=_faults, metavar="SPEC",
                      help="answer a share of the Kubernetes API's and AWS's calls with their own faults, "
                           "reproducibly from a seed: target:kind=share pairs and seed=N; kube: kinds 429 "
                           "(Retry-After), 500, 503, 504 and reset (the connection), the default target; "
                           "aws.elbv2, aws.acm, aws.secretsmanager: throttle, 500, 503; aws.route53: also "
                           "prior-request; aws.dynamodb: also throughput (only the Lambda functions' calls); lambda: "
                           "kill, timeout, kill-after-write (the functions' invocations), e.g. "
                           "kube:429=0.1,aws.elbv2:throttle=0.1,seed=7 (default: none)")
    demo.add_argument("--json", action="store_true",
                      help="print one JSON object on stdout instead of the human view")
    serve = commands.add_parser(
        "serve",
        help="deploy the stack into local AWS and keep it running until Ctrl-C",
        description=(
            "Start the same sandbox as demo and deploy the stack, then print the environment to export "
            "(AWS_ENDPOINT_URL, fake credentials, the state machine and secret ARNs) and copies of "
            "examples/ with the sandbox's host and secret, so the workflow can be started by hand: "
            "aws events put-events, aws stepfunctions start-execution, python -m layer7ctl. "
            "Runs until Ctrl-C or SIGTERM, then stops everything it started."
        ),
    )
    serve.add_argument("--alb-delay", type=_positive_float, default=3.0, metavar="SECONDS", help=ALB_DELAY_HELP)
    serve.add_argument("--certificate-rotation", action="store_true",
                       help="deploy with certificateRotation=true: a new value in the certificate secret "
                            "starts an execution by itself")
    serve.add_argument("--parent-pipeline", action="store_true",
                       help="also deploy examples/parent_pipeline (a parent state machine that runs the "
                            "workflow with startExecution.sync:2)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = vars(build_parser().parse_args(argv))
    if args.pop("command") == "serve":
        from sandbox.cli.serve import run_serve

        return run_serve(**args)
    from sandbox.cli.demo import DemoOptions, run_demo

    args["input_file"], args["service_file"] = args.pop("input"), args.pop("service")
    return run_demo(DemoOptions(**args))
