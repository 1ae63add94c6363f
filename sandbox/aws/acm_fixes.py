"""ACM's re-import and "in use" rules, where moto 5.2.5 is looser or forgets.

1. Re-import keeps the key type and size (ACM user guide, "Reimport a certificate": "The key type and size cannot
   be changed"); moto accepts any key. AWS documents no message for it: ours paraphrases the rule. The same guide:
   Key Usage values may be added, not removed (except "the keyEncipherment Key Usage from ECDSA certificates"),
   and the same for Extended Key Usage (except "the Client Authentication Extended Key Usage"); "Prerequisites
   for importing certificates": "you cannot add a KeyUsage or ExtendedKeyUsage extension if the extension was not
   present in the previously imported certificate". ACM's message for a dropped EKU, as users quote it: "New
   certificate is missing one or more Extended Key Usages supported by the currently imported certificate"
   (hashicorp/terraform-provider-aws#42779); for a dropped KU the same with "Key Usages" (an operator's runbook
   for a Let's Encrypt renewal, found by code search); for an added extension ours is a paraphrase. Written from
   the guide alone, not from the product's reimport.py, so it can catch that module.
2. A re-import keeps what belongs to the ARN: its tags ("You cannot apply resource tags when reimporting a
   certificate") and the resources using it; moto replaces the whole bundle and forgets both.
3. ``InUseBy`` (DescribeCertificate: "A list of ARNs for the AWS resources that are using the certificate")
   names the load balancers whose listeners serve it, from moto's ELBv2; DeleteCertificate of one in use answers
   ResourceInUseException ("The certificate is in use by another AWS service in the caller's account. Remove the
   association and try again.", botocore's acm model).
4. ``InUseBy`` lags a load balancer's deletion (aws/aws-cdk #4179: "it can take around 10s for ACM to
   acknowledge that the certificate is no longer in use"; hashicorp/terraform-provider-aws #3866:
   ResourceInUseException "by a deleted ELB"); moto forgets at once. Here a deleted load balancer stays in
   ``InUseBy`` for ``IN_USE_LAG_SECONDS``: those 10 s at the sandbox's usual fifth.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

IN_USE_LAG_SECONDS = 2.0
# deleted load balancer ARN -> (the certificate ARNs its listeners served, monotonic time ACM lets go of it)
_LAGGING: dict[str, tuple[frozenset[str], float]] = {}
_LAGGING_LOCK = threading.Lock()


@functools.cache  # the patches are process-wide, as moto's classes are: applied once
def install() -> None:
    from moto.acm.models import AWSCertificateManagerBackend, CertBundle
    from moto.core.exceptions import AWSError
    from moto.elbv2.models import ELBv2Backend

    class ResourceInUseException(AWSError):
        TYPE = "ResourceInUseException"

    original_import = AWSCertificateManagerBackend.import_certificate
    original_describe = CertBundle.describe
    original_delete = AWSCertificateManagerBackend.delete_certificate

    def import_certificate(self: Any, certificate: bytes, private_key: bytes, chain: bytes | None, arn: str | None,
                           tags: list[dict[str, str]]) -> str:
        from moto.acm.exceptions import AWSValidationException

        previous = self._certificates.get(arn) if arn else None
        if previous is not None:
            new = CertBundle(self.account_id, certificate, private_key, chain=chain, region=self.region_name, arn=arn)
            old_algorithm = original_describe(previous)["Certificate"]["KeyAlgorithm"]
            new_algorithm = original_describe(new)["Certificate"]["KeyAlgorithm"]
            if old_algorithm != new_algorithm:
                raise AWSValidationException(
                    f"The certificate you are reimporting has key type {new_algorithm}, but certificate {arn} has "
                    f"{old_algorithm}: the key type and size of a certificate cannot be changed on reimport")
            refusal = usage_refusal(previous._cert, new._cert)
            if refusal:
                raise AWSValidationException(refusal)
        result = original_import(self, certificate, private_key, chain, arn, tags)
        if previous is not None:
            bundle = self._certificates[result]
            bundle.tags = previous.tags
            bundle.in_use_by = previous.in_use_by
        return result

    def describe(self: Any) -> dict[str, Any]:
        described = original_describe(self)
        # moto records listener ARNs and never forgets them; ACM names the load balancers that use it now
        described["Certificate"]["InUseBy"] = load_balancers_using(self.arn)
        return described

    def delete_certificate(self: Any, arn: str) -> None:
        if load_balancers_using(arn):
            raise ResourceInUseException(f"Certificate {arn} is in use.")
        original_delete(self, arn)

    original_delete_load_balancer = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self: Any, arn: str) -> None:
        balancer = self.load_balancers.get(arn)
        if balancer is not None:
            served = frozenset(c for listener in balancer.listeners.values() for c in (listener.certificates or []))
            with _LAGGING_LOCK:
                _LAGGING[arn] = (served, time.monotonic() + IN_USE_LAG_SECONDS)
        original_delete_load_balancer(self, arn)

    ELBv2Backend.delete_load_balancer = delete_load_balancer  # type: ignore[method-assign]
    AWSCertificateManagerBackend.import_certificate = import_certificate  # type: ignore[method-assign]
    AWSCertificateManagerBackend.delete_certificate = delete_certificate  # type: ignore[method-assign]
    CertBundle.describe = describe  # type: ignore[method-assign]


def usage_refusal(old: Any, new: Any) -> str | None:
    """ACM's message refusing to re-import certificate ``new`` over ``old`` for its Key Usage or EKU, else None."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    def values(certificate: Any, kind: type) -> set[str] | None:
        try:
            value = certificate.extensions.get_extension_for_class(kind).value
        except x509.ExtensionNotFound:
            return None
        if kind is x509.ExtendedKeyUsage:
            return {oid.dotted_string for oid in value}
        bits = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                "key_agreement", "key_cert_sign", "crl_sign")
        found = {bit for bit in bits if getattr(value, bit)}
        if value.key_agreement:
            found |= {bit for bit in ("encipher_only", "decipher_only") if getattr(value, bit)}
        return found

    is_ec = isinstance(new.public_key(), ec.EllipticCurvePublicKey)
    for kind, name, may_go in (
        (x509.KeyUsage, "Key Usages", {"key_encipherment"} if is_ec else set()),
        (x509.ExtendedKeyUsage, "Extended Key Usages", {ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string}),
    ):
        before, after = values(old, kind), values(new, kind)
        if before is None and after is not None:
            return (f"New certificate has {name} but the currently imported certificate has none: a {name[:-1]} "
                    "extension cannot be added on reimport")
        if before is not None and not (before - may_go) <= (after or set()):
            return f"New certificate is missing one or more {name} supported by the currently imported certificate"
    return None


def load_balancers_using(certificate_arn: str) -> list[str]:
    """ARNs of the load balancers with a listener that serves ``certificate_arn`` (moto's ELBv2, same region)."""
    from moto.elbv2.models import elbv2_backends

    account, region = certificate_arn.split(":")[4], certificate_arn.split(":")[3]
    using = [load_balancer.arn for load_balancer in elbv2_backends[account][region].load_balancers.values()
             # moto keeps the ARNs as strings
             if any(certificate_arn in (listener.certificates or []) for listener in load_balancer.listeners.values())]
    now = time.monotonic()
    with _LAGGING_LOCK:
        for arn, (served, until) in list(_LAGGING.items()):
            if now >= until:
                del _LAGGING[arn]
            elif certificate_arn in served and arn not in using:
                using.append(arn)  # deleted, and still named for a while (4. above)
    return using
