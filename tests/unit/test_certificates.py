"""Certificate checks: each rule ACM or a TLS client enforces, broken one at a time."""

from __future__ import annotations

import datetime as dt
import hashlib
import traceback

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from layer7.certificates import check_bundle, dns_names, fingerprint_sha256, host_covered, host_matches
from layer7.errors import CertificateInvalid
from testkit.certs import make_ca, make_leaf, write_cert_dir

HOST = "milvus.example.com"
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def ca():
    return make_ca("Test Root CA")


@pytest.fixture(scope="module")
def intermediate(ca):
    return make_ca("Test Intermediate CA", issuer=ca)


@pytest.fixture(scope="module")
def leaf(ca):
    return make_leaf(ca, [HOST])


def refused(certificate_pem, private_key_pem, chain_pem=None, host=HOST) -> str:
    """The message of the CertificateInvalid raised, checked for key material on the way."""
    with pytest.raises(CertificateInvalid) as caught:
        check_bundle(certificate_pem, private_key_pem, chain_pem, host)
    message = str(caught.value)
    # not in a traceback either: a parser's own error must not ride along as the cause
    printed = "".join(traceback.format_exception(caught.value))
    body_lines = [
        line for line in f"{private_key_pem}\n{certificate_pem}".splitlines() if len(line) > 16 and "-" not in line
    ]
    for text in (message, printed):
        assert "PRIVATE KEY" not in text
        assert not any(line in text for line in body_lines)
    return message


# --- accepted bundles --------------------------------------------------------


@pytest.mark.parametrize("key_type", ["rsa2048", "rsa3072", "rsa4096", "ec256", "ec384", "ec521"])
def test_every_key_type_acm_imports_is_accepted(ca, key_type):
    # Given a certificate for the host with a key of a type ACM accepts
    issued = make_leaf(ca, [HOST], key_type)
    # When it is checked with its CA as the chain
    checked = check_bundle(issued.certificate_pem, issued.private_key_pem, issued.chain_pem, HOST)
    # Then it passes, and the result carries what ACM needs
    assert checked.fingerprint_sha256 == fingerprint_sha256(issued.certificate)
    assert checked.chain_pem.strip() == ca.certificate_pem.strip()
    assert checked.not_after == issued.certificate.not_valid_after_utc


def test_a_chain_of_intermediate_then_root_is_accepted(intermediate):
    # Given a leaf issued by an intermediate, and the chain intermediate first, root last
    issued = make_leaf(intermediate, [HOST])
    # When it is checked
    checked = check_bundle(issued.certificate_pem, issued.private_key_pem, issued.chain_pem, HOST)
    # Then it passes
    assert checked.certificate.subject == issued.certificate.subject


def test_the_chain_is_optional(leaf):
    checked = check_bundle(leaf.certificate_pem, leaf.private_key_pem, None, HOST)
    assert checked.chain_pem is None
    assert check_bundle(leaf.certificate_pem, leaf.private_key_pem, "  \n", HOST).chain_pem is None


def test_a_wildcard_name_covers_one_label_below_it(ca):
    # Given a certificate for *.example.com only
    issued = make_leaf(ca, ["*.example.com"])
    # Then it covers a host one label below, and refuses the apex and deeper names
    check_bundle(issued.certificate_pem, issued.private_key_pem, None, "a.example.com")
    assert "does not cover host example.com" in refused(
        issued.certificate_pem, issued.private_key_pem, host="example.com"
    )
    assert "does not cover host a.b.example.com" in refused(
        issued.certificate_pem, issued.private_key_pem, host="a.b.example.com"
    )


@pytest.mark.parametrize(
    ("host", "name", "covered"),
    [
        ("a.example.com", "a.example.com", True),
        ("A.Example.com", "a.example.COM", True),
        ("a.example.com", "*.example.com", True),
        ("example.com", "*.example.com", False),
        ("a.b.example.com", "*.example.com", False),
        ("a.example.org", "*.example.com", False),
        ("b.example.com", "a.example.com", False),
        ("a.example.com", "*.com", False),
    ],
)
def test_host_matching_rules(host, name, covered):
    assert host_matches(host, name) is covered
    assert host_covered(host, ["other.test", name]) is covered


def test_the_fingerprint_is_sha256_of_the_leaf_der(leaf):
    der = leaf.certificate.public_bytes(serialization.Encoding.DER)
    assert fingerprint_sha256(leaf.certificate) == hashlib.sha256(der).hexdigest()


# --- refused bundles ---------------------------------------------------------


def test_an_expired_certificate_is_refused(ca):
    issued = make_leaf(ca, [HOST], not_before=NOW - dt.timedelta(days=30), not_after=NOW - dt.timedelta(days=1))
    assert "certificate: expired" in refused(issued.certificate_pem, issued.private_key_pem)


def test_a_certificate_not_yet_valid_is_refused(ca):
    issued = make_leaf(ca, [HOST], not_before=NOW + dt.timedelta(days=1), not_after=NOW + dt.timedelta(days=30))
    assert "certificate: not valid yet" in refused(issued.certificate_pem, issued.private_key_pem)


def test_a_key_of_another_certificate_is_refused(ca, leaf):
    # Given the certificate of one leaf and the key of another
    other = make_leaf(ca, [HOST])
    # Then the mismatch is named
    assert "privateKey: does not match the certificate" in refused(leaf.certificate_pem, other.private_key_pem)


def test_a_host_the_certificate_does_not_name_is_refused(leaf):
    message = refused(leaf.certificate_pem, leaf.private_key_pem, host="other.example.com")
    assert "does not cover host other.example.com" in message and HOST in message


def test_a_certificate_without_dns_names_is_refused(ca):
    issued = make_leaf(ca, [])
    assert "no DNS subjectAltName" in refused(issued.certificate_pem, issued.private_key_pem)


def test_a_chain_in_reverse_order_is_refused_with_a_hint(intermediate, ca):
    # Given a chain root first, intermediate last
    issued = make_leaf(intermediate, [HOST])
    backwards = ca.certificate_pem + intermediate.certificate_pem
    # Then the check says it is reversed
    message = refused(issued.certificate_pem, issued.private_key_pem, backwards)
    assert "certificateChain: certificate 1" in message and "reverse order" in message


def test_a_chain_that_repeats_the_leaf_is_refused(leaf, ca):
    message = refused(leaf.certificate_pem, leaf.private_key_pem, leaf.certificate_pem + ca.certificate_pem)
    assert "certificateChain: certificate 1 is the server certificate itself" in message


def test_a_chain_from_another_ca_is_refused(leaf):
    stranger = make_ca("Somebody Else's CA")
    assert "did not issue" in refused(leaf.certificate_pem, leaf.private_key_pem, stranger.certificate_pem)


@pytest.mark.parametrize(("key_type", "expected"), [("rsa1024", "RSA 1024 bits is not accepted")])
def test_a_weak_key_is_refused(ca, key_type, expected):
    issued = make_leaf(ca, [HOST], key_type)
    assert expected in refused(issued.certificate_pem, issued.private_key_pem)


def test_a_key_over_acm_size_limit_is_refused(ca):
    # Given a key PEM over ACM's 5,120 bytes (as an RSA 8192 key is; generating one takes
    # seconds, so here an RSA 4096 key with the text tools such as openssl pkcs12 put above it)
    issued = make_leaf(ca, [HOST], "rsa4096")
    padded = "Bag Attributes\n" + "    friendlyName: milvus\n" * 100 + issued.private_key_pem
    assert len(padded.encode()) > 5120
    # Then the size is what is reported
    assert "at most 5120" in refused(issued.certificate_pem, padded)


def test_an_ed25519_key_is_refused(ca):
    issued = make_leaf(ca, [HOST], key=ed25519.Ed25519PrivateKey.generate())
    assert "Ed25519 keys are not accepted" in refused(issued.certificate_pem, issued.private_key_pem)


def test_an_encrypted_key_is_refused(leaf):
    encrypted = leaf.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"secret")
    ).decode()
    assert "privateKey: is encrypted" in refused(leaf.certificate_pem, encrypted)


@pytest.mark.parametrize(
    ("certificate", "key", "expected"),
    [
        ("not a pem", None, "certificate: not a PEM certificate"),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            None,
            "certificate: a PEM block could not be read",
        ),
        (None, "not a pem", "privateKey: not a PEM private key"),
        (None, "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n", "privateKey: not a readable"),
    ],
)
def test_bad_pem_is_refused_without_echoing_it(leaf, certificate, key, expected):
    message = refused(certificate or leaf.certificate_pem, key or leaf.private_key_pem)
    assert expected in message
    assert "QUJD" not in message and "AAAA" not in message


def test_a_certificate_field_holding_the_whole_chain_is_refused(leaf, ca):
    message = refused(leaf.certificate_pem + ca.certificate_pem, leaf.private_key_pem)
    assert "holds 2 certificates" in message


def test_a_key_pasted_into_the_certificate_field_is_refused_without_echoing_it(leaf):
    message = refused(leaf.certificate_pem + leaf.private_key_pem, leaf.private_key_pem)
    assert "the key belongs in privateKey" in message


def test_the_checked_result_does_not_print_its_key(leaf):
    checked = check_bundle(leaf.certificate_pem, leaf.private_key_pem, None, HOST)
    assert "PRIVATE KEY" not in repr(checked) and "PRIVATE KEY" not in repr(leaf)
    assert dns_names(checked.certificate) == [HOST]


def test_the_sandbox_cert_dir_holds_a_bundle_that_passes(tmp_path):
    # Given the files the sandbox stores as the certificate secret
    write_cert_dir(tmp_path / "certificate", HOST)
    read = {
        name: (tmp_path / "certificate" / name).read_text()
        for name in ("certificate.pem", "private-key.pem", "chain.pem")
    }
    # Then they pass every check for the host
    check_bundle(read["certificate.pem"], read["private-key.pem"], read["chain.pem"], HOST)
