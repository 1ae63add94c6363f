"""What the ALB's HTTPS listener enforces, read from ELBv2 and written as nginx directives (dataplane/processes.py).

- The listener's ``SslPolicy``, looked up with DescribeSSLPolicies (moto/elbv2/ssl_policies.py, moto's copy of AWS's
  answer): its ``SslProtocols`` become ``ssl_protocols`` (nginx's names are the same), its TLS 1.2-and-older
  ``Ciphers`` (OpenSSL names, as the ALB writes them) ``ssl_ciphers`` in the policy's order, the server's choice
  first ("the first cipher on the server's list that matches any one of the client's ciphers is selected", ALB
  guide, describe-ssl-policies: ``ssl_prefer_server_ciphers on``). TLS 1.3 suites are OpenSSL's defaults, the three
  every policy lists. Hybrid post-quantum key exchange (the PQ policies) is not played: this OpenSSL has no ML-KEM.
  OpenSSL 3 refuses TLS 1.0 and 1.1 at its default security level, so a policy that allows them gets
  ``@SECLEVEL=0``, as the ALB does accept them.
- The load balancer attribute ``idle_timeout.timeout_seconds`` (default 60: botocore elbv2
  LoadBalancerAttribute.Key), "the period of time an existing client or target connection can remain inactive, with
  no data being sent or received, before the load balancer closes the connection" (ALB guide,
  edit-load-balancer-attributes). nginx has one timeout per side and phase, and all take it: client_header_timeout
  until a connection's first request (nginx src/http/v2/ngx_http_v2.c ngx_http_v2_init), keepalive_timeout between
  requests (for HTTP/2 since 1.19.7, CHANGES: "the keepalive_timeout ... directives should be used instead" of
  http2_idle_timeout), client_body_timeout and send_timeout while a request is read or answered, grpc_read_timeout
  and grpc_send_timeout towards the target ("between two successive read operations", ngx_http_grpc_module).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_IDLE_TIMEOUT_SECONDS = 60  # botocore: "The default is 60 seconds"


@dataclass(frozen=True)
class ListenerSettings:
    """The listener's TLS policy and the load balancer's idle timeout, as nginx needs them."""

    ssl_protocols: tuple[str, ...] = ("TLSv1.2", "TLSv1.3")
    ciphers: tuple[str, ...] = ()  # TLS 1.2 and older, OpenSSL names, preferred first; () is nginx's default
    idle_timeout_seconds: int = DEFAULT_IDLE_TIMEOUT_SECONDS

    @classmethod
    def from_policy(cls, policy: dict[str, Any], idle_timeout_seconds: int = DEFAULT_IDLE_TIMEOUT_SECONDS,
                    ) -> ListenerSettings:
        """From one of DescribeSSLPolicies' SslPolicies (its SslProtocols and ranked Ciphers)."""
        order = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
        ranked = sorted(policy["Ciphers"], key=lambda cipher: cipher["Priority"])
        return cls(ssl_protocols=tuple(p for p in order if p in policy["SslProtocols"]),
                   ciphers=tuple(c["Name"] for c in ranked if not c["Name"].startswith("TLS_")),
                   idle_timeout_seconds=idle_timeout_seconds)

    def tls_directives(self) -> str:
        lines = [f"ssl_protocols {' '.join(self.ssl_protocols)};"]
        if self.ciphers:
            level = ":@SECLEVEL=0" if {"TLSv1", "TLSv1.1"} & set(self.ssl_protocols) else ""
            lines += [f"ssl_ciphers {':'.join(self.ciphers)}{level};", "ssl_prefer_server_ciphers on;"]
        return "\n    ".join(lines)


def listener_settings(elbv2: Any, load_balancer_arn: str) -> ListenerSettings:
    """What the ALB ``load_balancer_arn`` enforces on its HTTPS listener, from the ELBv2 API."""
    attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=load_balancer_arn)["Attributes"]
    idle = next((a["Value"] for a in attributes if a["Key"] == "idle_timeout.timeout_seconds"), None)
    idle_timeout = int(idle) if idle else DEFAULT_IDLE_TIMEOUT_SECONDS
    listeners = elbv2.describe_listeners(LoadBalancerArn=load_balancer_arn)["Listeners"]
    policy_name = next((listener.get("SslPolicy") for listener in listeners if listener.get("Protocol") == "HTTPS"),
                       None)
    if not policy_name:
        return ListenerSettings(idle_timeout_seconds=idle_timeout)
    [policy] = elbv2.describe_ssl_policies(Names=[policy_name])["SslPolicies"]
    return ListenerSettings.from_policy(policy, idle_timeout)
