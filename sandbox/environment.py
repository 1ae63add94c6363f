"""The sandbox's parts, started together and stopped together.

One object owns everything the demo starts: moto's server (in this process), the Kubernetes API and controller
stand-ins (threads here), milvus-lite and nginx (child processes). Leaving the ``with`` block stops them all,
whatever happened, so a failed run leaves no process behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import reset as sandbox_reset
from sandbox.aws import eks, hand_changes, schedules
from sandbox.aws.cfn_models import placeholders
from sandbox.aws.deploy import deploy_stack
from sandbox.aws.identities import access_entry_identities
from sandbox.aws.server import MotoSandbox
from sandbox.controller import LoadBalancerControllerStandIn
from sandbox.dataplane.listener import listener_settings
from sandbox.dataplane.nlb import Endpoints, NetworkLoadBalancers
from sandbox.dataplane.processes import MilvusLite, NginxAlb, free_port
from sandbox.dataplane.reimport import Bundle, ReimportWatcher
from sandbox.faults import Faults
from sandbox.kubernetes import KubernetesStandIn, helm, kubectl
from sandbox.kubernetes.service_controller import ServiceControllerStandIn
from testkit.certs import write_cert_dir

CLUSTER_NAME = "milvus-eks"
NAMESPACE = "milvus"
CHART_SERVICE = Path(__file__).resolve().parent / "fixtures" / "milvus-chart-service.yaml"
HOST = "milvus.sandbox.example.com"
SECRET_NAME = "milvus-layer7/sandbox-certificate"  # noqa: S105 - a secret's name, not its value
DNS_TTL_SECONDS = 60
CREDENTIALS = {"testing": "testing"}
ALB_LISTEN_PORTS = (443, 8443)


@dataclass(frozen=True)
class SandboxSettings:
    alb_delay: float = 3.0
    controller: str = "ok"  # sandbox/controller/reconcile.py MODES
    milvus: str = "up"  # down: Milvus stops once its target passed a health check (Sandbox._health_check)
    # From the Ingress's address to the ALB active; its target is healthy one health-check interval later (5 s x
    # health_check_scale with the workflow's defaults): the ALB is ready 1.5 s after its address.
    active_delay: float = 0.5
    # certificateRotation=true: a new value in the certificate secret (Secrets Manager's Secret Label Updated
    # event, sandbox/aws/secret_events.py) starts a renewal.
    certificate_rotation: bool = False
    # driftCheckSchedule (stacks/drift_schedule.py); it fires only when asked (run_schedules, sandbox/aws/schedules.py)
    drift_check_schedule: str | None = None
    service_manifest: dict[str, Any] | None = None  # the Milvus Service as an installer sends it; None: the chart's
    # A zone for HOST's parent domain, HOST a CNAME (TTL 60) to the Layer-4 load balancer, passed as hostedZoneId.
    dns: bool = False
    # How long the cloud's service controller takes to give a LoadBalancer Service its NLB's address, and the NLB
    # then to serve (AWS: minutes for its targets to register, sandbox/kubernetes/service_controller.py).
    layer4_delay: float = 2.0
    layer4_serve_delay: float = 2.0
    # The ALB's health checks (sandbox/dataplane/health.py) at this fraction of the target group's interval and
    # timeout; with milvus "down" at AWS's pace, so a dead target counts healthy as long as on AWS.
    health_check_scale: float = 0.2
    # Wait states and Retry intervals at this fraction of what the definition asks (sandbox/aws/sfn_clock.py). The
    # health checks keep their larger scale: a twentieth of gRPC's 5 s would fail on a busy machine, not on AWS.
    clock_scale: float = 0.05
    # Issue 19's faults: the Kubernetes API's (sandbox/kubernetes/faults.py), the functions' AWS calls'
    # (sandbox/aws/faults.py) and processes' (sandbox/aws/lambda_kills.py); None: none.
    faults: Faults | None = None


def load_manifest(path: Path) -> dict[str, Any]:
    """A Service manifest from a YAML or JSON file (JSON is YAML)."""
    import yaml

    manifest = yaml.safe_load(path.read_text())
    if not isinstance(manifest, dict) or manifest.get("kind") != "Service":
        raise ValueError(f"{path}: not a Service manifest (kind: Service)")
    manifest.setdefault("metadata", {}).setdefault("namespace", NAMESPACE)
    return manifest


class Sandbox(contextlib.AbstractContextManager):
    """Everything ``python -m sandbox demo`` runs, as one context manager."""

    host = HOST
    kube: Any  # a KubernetesStandIn, whose get() its readers index without a None check

    def __init__(self, settings: SandboxSettings, log=print) -> None:
        self.settings = settings
        self.deployed_settings = settings  # what the deploy fixed; reset() changes only the run-time settings
        self.log = log
        self._stack = contextlib.ExitStack()
        self.workdir = Path(tempfile.mkdtemp(prefix="milvus-layer7-sandbox-"))
        self.phases: dict[str, float] = {}
        self.nginx: NginxAlb | None = None
        self.alb_listen_port: int | None = None  # the ALB listener's port; nginx serves it on a free local one
        # What the Lambdas' shim resolves load balancer names to (sandbox/aws/lambda_shim): the NLBs', the ALB's.
        self.loopback_ports = self.workdir / "loopback-ports.json"
        self._layer4_ports: Endpoints = {}
        self._alb_ports: Endpoints = {}
        self._ports_lock = threading.Lock()
        self.secret_arn = ""  # until put_certificate creates the secret
        self.hosted_zone_id = ""  # without --dns, for good

    def __enter__(self) -> Sandbox:
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _phase(self, name: str, started: float) -> None:
        self.phases[name] = round(time.monotonic() - started, 3)

    def _serve_reimported(self, bundle: Bundle) -> None:
        """The watcher's reload: it reports only what serving() named, once nginx runs."""
        if self.nginx is None:
            raise RuntimeError("a re-imported certificate before nginx started")
        self.nginx.reload(*bundle)

    def _start(self) -> None:
        t0 = time.monotonic()
        self.aws = MotoSandbox(clock_scale=self.settings.clock_scale, faults=self.settings.faults).start()
        self._write_loopback_ports()
        self.aws.lambda_env["SANDBOX_LOOPBACK_PORTS_FILE"] = str(self.loopback_ports)
        self._stack.callback(self.aws.stop)
        self.kube = KubernetesStandIn(cluster_name=CLUSTER_NAME, credentials=CREDENTIALS,
                                      faults=self.settings.faults).start()
        self._stack.callback(self.kube.stop)
        # Whatever its selector says, the sandbox's data plane routes this Service to its one Milvus.
        service = self.kube.seed_service(self.settings.service_manifest or load_manifest(CHART_SERVICE))
        self.namespace, self.service_name = service["metadata"]["namespace"], service["metadata"]["name"]
        if self.settings.dns:  # HOST's parent zone
            zone = self.aws.client("route53").create_hosted_zone(Name=HOST.split(".", 1)[1],
                                                                 CallerReference=f"sandbox-{time.time()}")
            self.hosted_zone_id = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
            self.create_host_record(service)
        self.vpc_id, self.subnet_ids = eks.create_vpc(self.aws.client("ec2"), self.aws.region)
        cluster = eks.create_cluster(self.aws, CLUSTER_NAME, endpoint=self.kube.url, ca_pem=self.kube.ca_pem,
                                     subnet_ids=self.subnet_ids, vpc_id=self.vpc_id)
        self.cluster_security_group_id = cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]
        self.milvus = self._stack.enter_context(MilvusLite(self.workdir / "milvus-data"))  # starts at once
        # The Layer-4 load balancers: the seeded Service's NLB, and any a LoadBalancer Service gets later.
        self.layer4 = NetworkLoadBalancers(self.milvus.port, on_change=self._route_layer4)
        self._stack.callback(self.layer4.close)
        self.service_controller = ServiceControllerStandIn(self.kube, nlbs=self.layer4, region=self.aws.region,
                                                           provision_delay=self.settings.layer4_delay,
                                                           serve_delay=self.settings.layer4_serve_delay).start()
        self._stack.callback(self.service_controller.stop)
        self.put_certificate(self.settings_cert_dir())
        self._phase("standInsUp", t0)

        t1 = time.monotonic()
        outputs = deploy_stack(self.aws, context=self.stack_context(), outdir=self.workdir / "cdk.out")
        self.state_machine_arn = _find_output(outputs, "StateMachineArn")
        self.undo_state_machine_arn = _find_output(outputs, "UndoStateMachineArn")
        self._grant_cluster_access(outputs)
        self._phase("bootstrapAndDeploy", t1)

        # The ALB serves a certificate re-imported into the same ARN (sandbox/dataplane/reimport.py).
        self.reimports = ReimportWatcher(_imported_certificate, self._serve_reimported).start()
        self._stack.callback(self.reimports.stop)
        self.controller = LoadBalancerControllerStandIn(
            self.kube,
            elbv2=self.aws.client("elbv2"),
            acm=self.aws.client("acm"),
            ec2_subnet_ids=self.subnet_ids,
            vpc_id=self.vpc_id,
            cluster_name=CLUSTER_NAME,
            data_plane=self._serve_alb,
            data_plane_removed=self._remove_alb,
            backend_healthy=self._health_check,
            **self._controller_pace(),
        ).start()
        self._stack.callback(self.controller.stop)
        self.fresh_state = sandbox_reset.observable(self)  # what reset() puts back

    def _controller_pace(self) -> dict[str, Any]:
        """The controller stand-in's mode and delays; with milvus "down", its health checks at AWS's pace."""
        return {"mode": self.settings.controller, "alb_delay": self.settings.alb_delay,
                "active_delay": self.settings.active_delay,
                "health_check_scale": 1.0 if self.settings.milvus == "down" else self.settings.health_check_scale}

    def _grant_cluster_access(self, outputs: dict[str, Any]) -> None:
        """What EKS and the operator do once the stack exists: map each access entry's role to its user and
        groups, and ``kubectl apply`` the stack's RBAC manifest (README "Deploying to AWS")."""
        entries = [props for key, props in placeholders.items() if key.startswith("AWS::EKS::AccessEntry/")]
        functions = {fn["FunctionName"]: fn["Role"]
                     for page in self.aws.client("lambda").get_paginator("list_functions").paginate()
                     for fn in page["Functions"]}
        for credentials, username, groups in access_entry_identities(entries, functions):
            self.kube.add_identity(credentials.access_key_id, credentials.secret_access_key, username, groups)
        self.kube.apply_manifest(json.loads(_find_output(outputs, "KubernetesRbacManifest")))

    def deploy_stack_named(self, name: str, **context: str | None) -> dict[str, str]:
        """Another stack of the app beside the sandbox's own, as a second `cdk deploy -c stackName=NAME` puts one
        in the same account and region (docs/CONTRACT.md "Stack configuration"): the sandbox's context, `context`
        over it (None: without that key); its outputs. The cluster lets its functions in as the first stack's."""
        merged = {**self.stack_context(), **context, "stackName": name}
        deployed = deploy_stack(self.aws, context={key: value for key, value in merged.items() if value is not None},
                                outdir=self.workdir / f"cdk.out-{name}", stacks=[name], skip_bootstrap=True)
        self._grant_cluster_access({name: deployed[name]})
        return deployed[name]

    def settings_cert_dir(self) -> Path:
        cert_dir = self.workdir / "certificate"
        if not cert_dir.exists():
            write_cert_dir(cert_dir, HOST)
        return cert_dir

    def stack_context(self) -> dict[str, str]:
        context = {
            "clusterName": CLUSTER_NAME,
            "vpcId": self.vpc_id,
            "privateSubnetIds": ",".join(self.subnet_ids),
            "namespace": self.namespace,
            "host": HOST,
            "certificateSecretArn": self.secret_arn,
            "lambdaArchitecture": _lambda_architecture(),
            "lambdaPythonVersion": "3.11",
            "sandbox": "true",  # 3.11 runs here, on this machine's Python; AWS's python3.11 is refused (config.py)
            "verifyRetryIntervalSeconds": "1",  # the VerificationFailed retries, shortened for a local run
            "verifyMaxAttempts": "3",
            # The stack lets the functions into the cluster's security group, and reach the ALB on either port.
            "clusterSecurityGroupId": self.cluster_security_group_id,
            "albListenPorts": ",".join(str(port) for port in ALB_LISTEN_PORTS),
            "layer4Ports": "19530",  # the chart's Service port: the undo verifies through its NLB on it
        }
        if self.settings.certificate_rotation:
            context["certificateRotation"] = "true"
        if self.hosted_zone_id:
            context["hostedZoneId"] = self.hosted_zone_id
        if self.settings.drift_check_schedule:
            context["driftCheckSchedule"] = self.settings.drift_check_schedule
        return context

    def create_host_record(self, service: dict[str, Any]) -> None:
        """HOST -> the Service's Layer-4 address (CNAME, TTL 60), as a team that reaches Milvus by name has it."""
        address = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or [{}]
        self.aws.client("route53").change_resource_record_sets(HostedZoneId=self.hosted_zone_id, ChangeBatch={
            "Changes": [{"Action": "CREATE", "ResourceRecordSet": {
                "Name": HOST, "Type": "CNAME", "TTL": DNS_TTL_SECONDS,
                "ResourceRecords": [{"Value": address[0].get("hostname") or "layer4.invalid"}]}}]})

    # --- reset ---------------------------------------------------------------

    def reset(self, **changes: Any) -> Sandbox:
        """Back to the state this sandbox had when it started, with its start's settings but for ``changes`` to
        those the stand-ins read as they run (sandbox/reset.py): one deploy serves many scenarios."""
        sandbox_reset.check_changes(self.deployed_settings, changes)
        t0 = time.monotonic()
        sandbox_reset.stop_executions(self)
        self.settings = dataclasses.replace(self.deployed_settings, **changes)
        # The controller lets go of what the last scenario made without that scenario's mode or delays.
        self.controller.switch(mode="ok", alb_delay=0.0, active_delay=0.0, health_check_scale=1.0)
        if self.deployed_settings.certificate_rotation:
            sandbox_reset.switch_rotation(self, enabled=False)
        sandbox_reset.remove_ingresses(self)
        service = sandbox_reset.reseed_services(self, self.settings.service_manifest or load_manifest(CHART_SERVICE))
        self.namespace, self.service_name = service["metadata"]["namespace"], service["metadata"]["name"]
        if self.hosted_zone_id:
            sandbox_reset.restore_zone(self, service)
        sandbox_reset.clear_certificates(self)
        sandbox_reset.restore_secret(self)
        sandbox_reset.release_run_locks(self)
        self.milvus.start()
        same_service = self.settings.service_manifest == self.deployed_settings.service_manifest
        sandbox_reset.check_fresh(self, self.fresh_state, same_service=same_service)
        self.controller.switch(**self._controller_pace())
        if self.settings.certificate_rotation:
            sandbox_reset.switch_rotation(self, enabled=True)
        self.kube.set_faults(self.settings.faults)  # fresh dice: a scenario meets the same faults each time
        self.aws.set_faults(self.settings.faults)
        self.log(f"Sandbox reset in {time.monotonic() - t0:.1f} s: {sandbox_reset.describe(changes)}")
        return self

    # --- hand changes after a setup (issue 20's drifts) and the schedules -----------

    def helm_upgrade(self, *, server_side: bool = False, force_conflicts: bool = False) -> dict[str, Any]:
        """``helm upgrade`` of the Milvus release with its install's values, as Helm 3 (three-way strategic merge) or
        Helm 4 with ``--server-side`` sends it (sandbox/kubernetes/helm.py): a Service this workflow turned
        ClusterIP becomes LoadBalancer again; the Service after, or ApiError."""
        manifest = self.settings.service_manifest or load_manifest(CHART_SERVICE)
        return helm.upgrade(self.kube, manifest, server_side=server_side, force_conflicts=force_conflicts)

    def kubectl_annotate(self, kind_plural: str, name: str, annotations: dict[str, str | None]) -> dict[str, Any]:
        """``kubectl annotate --overwrite`` of an object in the namespace (sandbox/kubernetes/kubectl.py)."""
        return kubectl.annotate(self.kube, kind_plural, self.namespace, name, annotations)

    def reimport_expiring_certificate(self, certificate_arn: str, days_left: int) -> Bundle:
        """Re-import into ``certificate_arn`` a certificate for the host ending in ``days_left`` days
        (sandbox/aws/hand_changes.py); the bundle it held before. Returns once the listener serves it (until then,
        CheckDrift's ServedCertificate rightly says "if a re-import just happened, look again in a minute")."""
        before = _imported_certificate(certificate_arn)
        hand_changes.reimport_expiring(self.aws.client("acm"), certificate_arn, HOST, days_left=days_left)
        self.reimports.check_once()
        return before

    def reimport_certificate(self, certificate_arn: str, bundle: Bundle) -> None:
        """Put ``bundle`` back into ``certificate_arn``; returns once the listener serves it, as above."""
        hand_changes.reimport(self.aws.client("acm"), certificate_arn, *bundle)
        self.reimports.check_once()

    def upsert_host_record(self, record: dict[str, Any]) -> None:
        """A record set of the zone changed by hand (UPSERT, sandbox/aws/hand_changes.py)."""
        hand_changes.upsert_record(self.aws.client("route53"), self.hosted_zone_id, record)

    def run_schedules(self) -> list[str]:
        """One firing of each enabled EventBridge Scheduler schedule (sandbox/aws/schedules.py); the executions'
        ARNs."""
        return schedules.run_schedules(self.aws.account_id, self.aws.region)

    # --- what the demo's report and the tests read, as a person would with kubectl and the AWS CLI ----------

    def dns_records(self) -> list[dict[str, Any]] | None:
        """The zone's record sets named host (with --dns), as Route 53 lists them."""
        if not self.hosted_zone_id:
            return None
        answer = self.aws.client("route53").list_resource_record_sets(HostedZoneId=self.hosted_zone_id)
        return [record for record in answer["ResourceRecordSets"] if record["Name"].rstrip(".") == HOST]

    def cluster_view(self) -> dict[str, Any]:
        """The Milvus Service as the API returns it, and the Ingresses beside it."""
        service = self.kube.get("services", self.namespace, self.service_name)
        ingresses = self.kube.list("ingresses", self.namespace)
        return {
            "service": service,
            "ingresses": [
                {"name": i["metadata"]["name"], "annotations": i["metadata"].get("annotations", {}),
                 "events": [{key: event.get(key) for key in ("type", "reason", "message", "count", "firstTimestamp",
                                                             "lastTimestamp")}
                            for event in self.kube.events_for(self.namespace, "Ingress", i["metadata"]["name"])]}
                for i in ingresses
            ],
        }

    def certificate_count(self) -> int:
        acm = self.aws.client("acm")
        return sum(len(page["CertificateSummaryList"]) for page in acm.get_paginator("list_certificates").paginate())

    def load_balancers(self) -> list[dict[str, Any]]:
        """ELBv2's load balancers (the ALBs the controller stand-in made)."""
        return list(self.aws.client("elbv2").describe_load_balancers()["LoadBalancers"])

    # --- certificate and data plane -----------------------------------------

    @staticmethod
    def certificate_value(cert_dir: Path) -> str:
        """A certificate directory as the certificate secret's JSON (docs/CONTRACT.md, "Certificate secret")."""
        value = {"certificate": (cert_dir / "certificate.pem").read_text(),
                 "privateKey": (cert_dir / "private-key.pem").read_text()}
        chain = cert_dir / "chain.pem"
        if chain.exists():
            value["certificateChain"] = chain.read_text()
        return json.dumps(value)

    def put_certificate(self, cert_dir: Path) -> str:
        """Store a certificate directory as the certificate secret (a new current version on rotation)."""
        secrets, value = self.aws.client("secretsmanager"), self.certificate_value(cert_dir)
        if self.secret_arn:
            secrets.put_secret_value(SecretId=self.secret_arn, SecretString=value)
        else:
            self.secret_arn = secrets.create_secret(Name=SECRET_NAME, SecretString=value)["ARN"]
        return self.secret_arn

    def _serve_alb(self, ingress: dict[str, Any], load_balancer: dict[str, Any]) -> None:
        """The controller made an ALB: serve it with nginx and the imported certificate."""
        annotations = ingress["metadata"].get("annotations", {})
        arn = annotations["alb.ingress.kubernetes.io/certificate-arn"]
        listen_port = next(iter(json.loads(annotations["alb.ingress.kubernetes.io/listen-ports"])[0].values()))
        host = (ingress["spec"].get("rules") or [{}])[0].get("host")
        # What the listener enforces: its security policy's protocols and ciphers, the ALB's idle timeout.
        listener = listener_settings(self.aws.client("elbv2"), load_balancer["LoadBalancerArn"])
        with self.reimports.lock:  # not while the watcher reloads a re-imported certificate
            cert, key, chain = _imported_certificate(arn)
            if self.nginx is not None and self.alb_listen_port != int(listen_port):
                self.nginx.stop()  # the ALB's listener moved to another port: the old one is gone
                self.nginx = None
            if self.nginx is None:
                # On a port of its own, which the shim maps the ALB's name and listener port to: two sandboxes on
                # one machine (the e2e lanes, the demo beside them) never want the same one, and nobody needs root
                self.nginx = NginxAlb(self.workdir / "nginx", free_port(), cert, key, chain or None,
                                      self.milvus.port, host=host, listener=listener)  # starts at once
                self._stack.callback(self.nginx.stop)
            else:
                self.nginx.configure(listener)
                self.nginx.reload(cert, key, chain)
            self.alb_listen_port = int(listen_port)
            served = {str(listen_port): self.nginx.listen_port}
            self._write_loopback_ports(alb={load_balancer["DNSName"].lower(): served})
            self.reimports.serving(arn, cert)

    def _health_check(self, timeout: float) -> bool:
        """One of the ALB's health checks of the Milvus target (its gRPC health-check method, code 12). With milvus
        "down", Milvus stops right after the target passed one: the workflow's gRPC verification notices, while the
        ALB's checks still count the target healthy (UnhealthyThresholdCount failures, sandbox/dataplane/health.py).
        """
        passed = self.milvus.answers_grpc(timeout)
        if passed and self.settings.milvus == "down":
            self.milvus.stop()
        return passed

    def _remove_alb(self, dns_name: str) -> None:
        """The controller deleted the ALB: its listener stops answering (nginx stops)."""
        with self.reimports.lock:
            if self.nginx is not None:
                self.nginx.stop()
                self.nginx = None
            self.alb_listen_port = None
            # a deleted load balancer's name resolves no more, as the NLBs' (sandbox/dataplane/nlb.py): "The name
            # and associated DNS record of the deleted load balancer no longer exist" (ELB API reference,
            # DeleteLoadBalancer)
            self._write_loopback_ports(alb={dns_name.lower(): None})
            self.reimports.stopped()

    def _route_layer4(self, endpoints: Endpoints) -> None:
        """Every Lambda resolves the NLBs' names to their local ports from now on (lambda_shim)."""
        self._write_loopback_ports(layer4=endpoints)

    def _write_loopback_ports(self, *, layer4: Endpoints | None = None, alb: Endpoints | None = None) -> None:
        """The shim's map, written beside and renamed: a Lambda reading it never meets half of it. The NLBs' data
        plane and the controller stand-in call this from their own threads."""
        with self._ports_lock:
            self._layer4_ports = dict(layer4) if layer4 is not None else self._layer4_ports
            self._alb_ports.update(alb or {})
            partial = self.loopback_ports.with_suffix(".partial")
            partial.write_text(json.dumps({**self._layer4_ports, **self._alb_ports}, sort_keys=True))
            os.replace(partial, self.loopback_ports)

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()
        if not os.environ.get("SANDBOX_KEEP_WORKDIR"):
            shutil.rmtree(self.workdir, ignore_errors=True)


def _find_output(outputs: dict[str, Any], name: str) -> str:
    """The output ``name``, else one whose key starts with it (CDK may add a suffix): never UndoStateMachineArn
    for StateMachineArn."""
    found = {key: value for stack in outputs.values() for key, value in stack.items() if key.startswith(name)}
    if not found:
        raise KeyError(f"stack output {name} not found in {sorted(outputs)}")
    return found[name] if name in found else next(iter(found.values()))


def _imported_certificate(arn: str) -> Bundle:
    """The certificate, key and chain as imported into moto's ACM.

    Real ACM never hands out an imported key; the ALB's data plane has it
    because it is part of AWS. Here the data plane is nginx, so the sandbox
    reads moto's store directly (it runs in this process).
    """
    from moto.acm.models import acm_backends

    account, region = arn.split(":")[4], arn.split(":")[3]
    bundle = acm_backends[account][region]._certificates[arn]

    def text(value: Any) -> str:
        return value.decode() if isinstance(value, bytes) else (value or "")

    return text(bundle.cert), text(bundle.key), text(bundle.chain)


def _lambda_architecture() -> str:
    return "arm64" if os.uname().machine in ("aarch64", "arm64") else "x86_64"
