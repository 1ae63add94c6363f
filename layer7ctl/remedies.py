"""What to do about each error an execution can end with.

The command line carries its advice in code: it must not depend on finding
the README next to it. The README's "Errors and what to do" table says the
same, row for row, in the same order (tests/unit/test_layer7ctl.py checks).
A new error name is one entry here and one row there.
"""

from __future__ import annotations

REMEDIES: dict[str, str] = {
    "InvalidInput": "fix the input; the cause names the field and what it allows. Nothing was changed.",
    "CertificateNotFound": "check the ARN and region; name the secret `milvus-layer7/...` or deploy with "
                           "`certificateSecretArn`",
    "CertificateInvalid": "the cause says which check failed; fix the PEMs in the secret",
    "ClusterNotFound": "wait for ACTIVE or fix the name",
    "KubernetesForbidden": ("apply the stack's `KubernetesRbacManifest` output once (`kubectl apply -f`, README "
                            "\"Deploying to AWS\"); check the role's access entry (`createAccessEntry=true` on an "
                            "`API`/`API_AND_CONFIG_MAP` cluster) or its aws-auth mapping (\"Clusters still on the "
                            "aws-auth ConfigMap\" in the README)"),
    "ServiceNotFound": "`kubectl -n NS get svc` and fix the input",
    "IngressRejected": "the cause is the controller's own message; fix that and start again",
    "LoadBalancerTimeout": "`kubectl -n NS describe ingress NAME`; check target health in the EC2 console",
    "VerificationFailed": "the cause says what the gRPC call or the TLS handshake saw (a certificate other than the "
                          "one imported: both SHA-256 fingerprints); the Layer-4 load balancer is still in place",
    "RunInProgress": "wait for the other execution to end (`layer7ctl list --status RUNNING`), then start this one "
                     "again if it is still needed",
    "NetworkMisconfigured": "the cause names the subnet, address or endpoint; fix the route, NAT or firewall "
                            "(README \"Deploying to AWS\") and start again. Nothing was changed before it.",
    "TransientError": "start it again; if it keeps failing, check the AWS Health Dashboard and the account's "
                      "service quotas",
}


def remedy_for(error: str | None) -> str | None:
    return REMEDIES.get(error or "")
