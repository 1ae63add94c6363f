"""Whether ACM would re-import a renewed certificate into the ARN of an earlier one.

The ACM user guide, "Reimport a certificate", lists the conditions of a
re-import (docs.aws.amazon.com/acm/latest/userguide/import-reimport.html):

- "You can add or remove domain names." / "You cannot remove all of the
  domain names from a certificate." (check_bundle already insists on a DNS
  name covering the host, so a renewal here always has one.)
- "If Key Usage extensions are present in the originally imported
  certificate, you can add new extension values, but you cannot remove
  existing values." Exception: "You can remove the keyEncipherment Key Usage
  from ECDSA certificates" (RFC 5480 section 3 does not permit it for ECDSA).
- "If Extended Key Usage extensions are present in the originally imported
  certificate, you can add new extension values, but you cannot remove
  existing values." Exception: "You can remove the Client Authentication
  Extended Key Usage" (CAs stopped issuing clientAuth for Chrome's root program).
- "The key type and size cannot be changed."
- "You cannot apply resource tags when reimporting a certificate." (dal
  writes them after the re-import.)

and "Prerequisites for importing certificates" adds: "When you renew
(reimport) a certificate, you cannot add a KeyUsage or ExtendedKeyUsage
extension if the extension was not present in the previously imported
certificate."

Where the guide says nothing (a renewal that drops a whole extension the old
certificate had) the rule taken here is the stricter one: an extension present
before must be there after. Being wrong that way costs a new ARN, never a
failed renewal; a rule ACM applies and this module misses ends in ACM's
refusal, which logic answers with a fresh import too.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

# RFC 5280's names of the KeyUsage bits, by cryptography's attribute names.
_KEY_USAGE_NAMES = {
    "digital_signature": "digitalSignature", "content_commitment": "nonRepudiation",
    "key_encipherment": "keyEncipherment", "data_encipherment": "dataEncipherment",
    "key_agreement": "keyAgreement", "key_cert_sign": "keyCertSign", "crl_sign": "cRLSign",
}
_EXTENDED_KEY_USAGE_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH.dotted_string: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING.dotted_string: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING.dotted_string: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING.dotted_string: "OCSPSigning",
}
# What a re-import may drop ("Exception:" in the guide's list above).
_MAY_DROP_KEY_USAGE_IF_EC = frozenset({"keyEncipherment"})
_MAY_DROP_EXTENDED_KEY_USAGE = frozenset({"clientAuth"})


def key_algorithm(certificate: x509.Certificate) -> str:
    """The key's type and size in ACM's words (CertificateDetail.KeyAlgorithm)."""
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"secp256r1": "EC_prime256v1"}.get(key.curve.name, f"EC_{key.curve.name}")
    return f"RSA_{getattr(key, 'key_size', 0)}"


def key_usages(certificate: x509.Certificate) -> frozenset[str] | None:
    """The KeyUsage values by RFC 5280 name, or None when the certificate has no KeyUsage extension."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    names = {name for attribute, name in _KEY_USAGE_NAMES.items() if getattr(usage, attribute)}
    if usage.key_agreement:  # cryptography raises on these two unless keyAgreement is set
        names |= {name for attribute, name in (("encipher_only", "encipherOnly"), ("decipher_only", "decipherOnly"))
                  if getattr(usage, attribute)}
    return frozenset(names)


def extended_key_usages(certificate: x509.Certificate) -> frozenset[str] | None:
    """The ExtendedKeyUsage purposes (well-known names, else dotted OIDs), or None when there is no such extension."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    return frozenset(_EXTENDED_KEY_USAGE_NAMES.get(oid.dotted_string, oid.dotted_string) for oid in usage)


def reimport_refusal(old: x509.Certificate, new: x509.Certificate) -> str | None:
    """Why ACM would refuse to re-import ``new`` over ``old`` (the first rule broken), or None when it would not."""
    old_algorithm, new_algorithm = key_algorithm(old), key_algorithm(new)
    if old_algorithm != new_algorithm:
        return (f"ACM re-imports only with the same key type and size, and the earlier certificate's key is "
                f"{old_algorithm}, the renewal's {new_algorithm}")
    is_ec = isinstance(new.public_key(), ec.EllipticCurvePublicKey)
    return _usage_refusal("Key Usage", key_usages(old), key_usages(new),
                          _MAY_DROP_KEY_USAGE_IF_EC if is_ec else frozenset()) or _usage_refusal(
        "Extended Key Usage", extended_key_usages(old), extended_key_usages(new), _MAY_DROP_EXTENDED_KEY_USAGE)


def _usage_refusal(
    extension: str, old: frozenset[str] | None, new: frozenset[str] | None, may_drop: frozenset[str]
) -> str | None:
    if old is None:
        if new is None:
            return None
        article = "an" if extension[0] in "AEIOU" else "a"
        return (f"ACM re-imports only without adding {article} {extension} extension the earlier certificate lacks, "
                f"and the renewal has one ({', '.join(sorted(new))})")
    if new is None:
        return (f"ACM re-imports only when the {extension} values stay, and the renewal has no {extension} "
                f"extension (the earlier certificate's: {', '.join(sorted(old))})")
    dropped = old - may_drop - new
    if dropped:
        return (f"ACM re-imports only when the {extension} values stay, and the renewal drops "
                f"{', '.join(sorted(dropped))}")
    return None
