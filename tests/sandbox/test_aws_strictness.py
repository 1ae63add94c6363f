"""Where the sandbox's AWS is stricter than moto, as the real services are: ACM re-imports and Route 53 batches."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.x509.oid import ExtendedKeyUsageOID

from testkit.certs import make_ca, make_leaf
from tests.polling import wait_for

HOST = "milvus.strict.example.com"
SERVER_AUTH, CLIENT_AUTH = ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH


def imported(acm, leaf, arn=None) -> str:
    extra = {"CertificateArn": arn} if arn else {"Tags": [{"Key": "owner", "Value": "test"}]}
    return acm.import_certificate(Certificate=leaf.certificate_pem.encode(), PrivateKey=leaf.private_key_pem.encode(),
                                  CertificateChain=leaf.chain_pem.encode(), **extra)["CertificateArn"]


def test_acm_refuses_a_reimport_with_another_key_type_and_keeps_tags_on_one_with_the_same(sandbox):
    acm = sandbox.client("acm")
    ca = make_ca("strict CA")
    arn = imported(acm, make_leaf(ca, [HOST], "ec256"))
    # A re-import with an RSA key into the EC certificate's ARN is refused, as the ACM user guide says
    with pytest.raises(ClientError) as caught:
        imported(acm, make_leaf(ca, [HOST], "rsa2048"), arn)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "key type" in caught.value.response["Error"]["Message"]
    # One with the same key type goes in, and the certificate keeps its tags
    assert imported(acm, make_leaf(ca, [HOST], "ec256"), arn) == arn
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "owner", "Value": "test"}]


@pytest.mark.parametrize(("old", "new", "message"), [
    ({"key_usage": {"digitalSignature", "keyEncipherment"}}, {"key_usage": {"digitalSignature"}},
     "New certificate is missing one or more Key Usages supported by the currently imported certificate"),
    ({"extended_key_usage": [SERVER_AUTH]}, {"extended_key_usage": [CLIENT_AUTH]},
     "New certificate is missing one or more Extended Key Usages supported by the currently imported certificate"),
    ({}, {"key_usage": {"digitalSignature"}}, "a Key Usage extension cannot be added on reimport"),
])
def test_acm_refuses_a_reimport_that_drops_or_adds_key_usages(sandbox, old, new, message):
    acm = sandbox.client("acm")
    ca = make_ca("usage CA", "rsa2048")
    arn = imported(acm, make_leaf(ca, [HOST], "rsa2048", **old))
    with pytest.raises(ClientError) as caught:
        imported(acm, make_leaf(ca, [HOST], "rsa2048", **new), arn)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert message in caught.value.response["Error"]["Message"]


def test_acm_lets_a_reimport_drop_client_auth_and_an_ecdsa_keys_key_encipherment(sandbox):
    acm = sandbox.client("acm")
    ca = make_ca("exceptions CA")
    arn = imported(acm, make_leaf(ca, [HOST], key_usage={"digitalSignature", "keyEncipherment"},
                                  extended_key_usage=[SERVER_AUTH, CLIENT_AUTH]))
    renewed = make_leaf(ca, [HOST], key_usage={"digitalSignature"}, extended_key_usage=[SERVER_AUTH])
    assert imported(acm, renewed, arn) == arn


def test_import_certificate_imports_a_renewal_acm_would_refuse_fresh_and_names_the_old_one(sandbox):
    # Given ImportCertificate's certificate for the host, with RSA's usual Key Usage
    acm, secretsmanager = sandbox.client("acm"), sandbox.client("secretsmanager")
    ca = make_ca("renewal CA", "rsa2048")
    first = _import_certificate(acm, secretsmanager, make_leaf(ca, [HOST], "rsa2048",
                                                               key_usage={"digitalSignature", "keyEncipherment"}))
    # When the renewal drops keyEncipherment, which the sandbox's ACM (as ACM) refuses to re-import
    second = _import_certificate(acm, secretsmanager, make_leaf(ca, [HOST], "rsa2048", key_usage={"digitalSignature"}))
    # Then the renewal is a new certificate in ACM, and the old one is named for the undo
    assert second.certificate_imported and second.certificate_arn != first.certificate_arn
    assert acm.describe_certificate(CertificateArn=second.certificate_arn)["Certificate"]["Status"] == "ISSUED"
    [warning] = second.warnings
    assert first.certificate_arn in warning and "keyEncipherment" in warning


def _import_certificate(acm, secretsmanager, leaf):
    from import_certificate.logic import ensure_certificate

    return ensure_certificate(_request_for(secretsmanager, leaf, HOST), acm=acm, secretsmanager=secretsmanager)


def _request_for(secretsmanager: Any, leaf: Any, host: str) -> Any:
    """Validate's request for ``host`` naming a new certificate secret that holds ``leaf``."""
    from layer7.environment import FunctionEnvironment
    from validate.logic import validate

    secret = secretsmanager.create_secret(Name=f"strict-{leaf.fingerprint_sha256[:12]}", SecretString=json.dumps(
        {"certificate": leaf.certificate_pem, "privateKey": leaf.private_key_pem,
         "certificateChain": leaf.chain_pem}))["ARN"]
    return validate({"host": host, "certificate": {"secretArn": secret}},
                    FunctionEnvironment(cluster_name="milvus-eks", region="us-east-1"))


def alb_serving(sandbox: Any, certificate_arn: str, name: str, second_octet: int) -> tuple[dict, dict]:
    """An ALB in a VPC of its own (10.<second_octet>.0.0/16) with an HTTPS listener on the certificate."""
    ec2, elbv2 = sandbox.client("ec2"), sandbox.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock=f"10.{second_octet}.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{second_octet}.{i}.0/24",
                                 AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    lb = elbv2.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]
    listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                     Certificates=[{"CertificateArn": certificate_arn}], DefaultActions=[
                                         {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])
    return lb, listener


def test_acm_says_which_load_balancers_use_a_certificate_and_refuses_to_delete_it(sandbox):
    acm, elbv2 = sandbox.client("acm"), sandbox.client("elbv2")
    arn = imported(acm, make_leaf(make_ca("in-use CA"), [HOST]))
    lb, listener = alb_serving(sandbox, arn, "strict-alb", 9)
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"] == [lb["LoadBalancerArn"]]
    with pytest.raises(ClientError) as caught:
        acm.delete_certificate(CertificateArn=arn)
    assert caught.value.response["Error"]["Code"] == "ResourceInUseException"
    elbv2.delete_listener(ListenerArn=listener["Listeners"][0]["ListenerArn"])
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"] == []
    acm.delete_certificate(CertificateArn=arn)


def test_acm_keeps_naming_a_deleted_load_balancer_for_a_while(sandbox):
    acm, elbv2 = sandbox.client("acm"), sandbox.client("elbv2")
    arn = imported(acm, make_leaf(make_ca("lagging CA"), [HOST]))
    lb, _ = alb_serving(sandbox, arn, "lagging-alb", 8)
    # When the load balancer is deleted, ACM still names it, and refuses the delete
    elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"] == [lb["LoadBalancerArn"]]
    with pytest.raises(ClientError) as caught:
        acm.delete_certificate(CertificateArn=arn)
    assert caught.value.response["Error"]["Code"] == "ResourceInUseException"
    # until it lets go of it
    wait_for(lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"] == [],
             timeout=30, every=0.5)
    acm.delete_certificate(CertificateArn=arn)


def test_route53_refuses_a_record_beside_a_cname_unless_the_batch_deletes_it_first(sandbox):
    route53 = sandbox.client("route53")
    zone = route53.create_hosted_zone(Name="strict.example.com", CallerReference="strict")["HostedZone"]
    zone_id = zone["Id"].rsplit("/", 1)[-1]
    assert zone_id.startswith("Z")
    cname = {"Name": HOST, "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "nlb.example.com"}]}
    alias = {"Name": HOST, "Type": "A", "AliasTarget": {"HostedZoneId": "Z35SXDOTRQ7X7K", "EvaluateTargetHealth": True,
                                                        "DNSName": "dualstack.alb.example.com"}}
    created = route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "CREATE", "ResourceRecordSet": cname}]})["ChangeInfo"]
    # a change is PENDING first, as Route 53 answers, with an id of its own
    assert created["Status"] == "PENDING" and created["Id"].startswith("/change/C")
    with pytest.raises(ClientError) as caught:
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
            "Changes": [{"Action": "UPSERT", "ResourceRecordSet": alias}]})
    assert caught.value.response["Error"]["Message"] == (
        f"[RRSet of type A with DNS name {HOST}. is not permitted because a conflicting RRSet of type  CNAME with "
        "the same DNS name already exists in zone strict.example.com.]")
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "DELETE", "ResourceRecordSet": cname}, {"Action": "CREATE", "ResourceRecordSet": alias}]})
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    assert [r["Type"] for r in records if r["Name"] == f"{HOST}."] == ["A"]
    # and the way back and forth again, as an undo and a later setup do it: the same alias may be created anew
    for batch in ([{"Action": "DELETE", "ResourceRecordSet": alias}, {"Action": "CREATE", "ResourceRecordSet": cname}],
                  [{"Action": "DELETE", "ResourceRecordSet": cname}, {"Action": "CREATE", "ResourceRecordSet": alias}]):
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": batch})
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    assert [r["Type"] for r in records if r["Name"] == f"{HOST}."] == ["A"]
    # while a CREATE of a set that exists is still refused
    with pytest.raises(ClientError, match="but it already exists"):
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
            "Changes": [{"Action": "CREATE", "ResourceRecordSet": alias}]})


class _Killed(BaseException):
    """The attempt's process dying (a Lambda timeout or out of memory): nothing of the attempt catches it."""


class _KilledBeforeTagging:
    """ACM as one attempt sees it when its process dies right after ACM re-imported: the tags are never written."""

    def __init__(self, acm: Any) -> None:
        self._acm = acm

    def __getattr__(self, name: str) -> Any:
        return getattr(self._acm, name)

    def add_tags_to_certificate(self, **_: Any) -> None:
        raise _Killed


def test_a_renewal_re_import_killed_before_its_tags_is_re_imported_and_reported_by_the_retry(sandbox):
    """Plain moto forgets an ARN's tags on re-import; the sandbox's ACM keeps them, as ACM does (acm_fixes.py),
    so only here does the retry meet what AWS leaves: the renewal in ACM, under the earlier import's tags."""
    from import_certificate.logic import ensure_certificate
    from layer7 import ownership

    acm, secretsmanager = sandbox.client("acm"), sandbox.client("secretsmanager")
    host = "milvus.killed.example.com"
    earlier, this_run = (f"arn:aws:states:us-east-1:123456789012:execution:MilvusLayer7-Setup:{name}"
                         for name in ("earlier-run", "this-run"))

    def tags(arn: str) -> dict[str, str]:
        return {tag["Key"]: tag["Value"] for tag in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]}

    # Given the host's certificate, imported by an earlier execution
    ca = make_ca("killed re-import CA", "rsa2048")
    first = ensure_certificate(_request_for(secretsmanager, make_leaf(ca, [host], "rsa2048"), host), acm=acm,
                               secretsmanager=secretsmanager, execution=earlier)
    # and this execution's first attempt, which re-imported the renewal into that ARN and died before tagging it
    renewal = make_leaf(ca, [host], "rsa2048")
    renewed = _request_for(secretsmanager, renewal, host)
    with pytest.raises(_Killed):
        ensure_certificate(renewed, acm=_KilledBeforeTagging(acm), secretsmanager=secretsmanager, execution=this_run)
    assert tags(first.certificate_arn)[ownership.TAG_IMPORTED_BY] == earlier  # ACM kept the earlier import's tags
    # When Step Functions runs the step again in the same execution
    retried = ensure_certificate(renewed, acm=acm, secretsmanager=secretsmanager, execution=this_run)
    # Then it answers as an undisturbed renewal does: re-imported in place, by this run, nothing left to delete
    assert (retried.certificate_arn, retried.certificate_imported, retried.warnings) == (
        first.certificate_arn, True, [])
    # and the ARN now says so: this execution's import, the renewal's fingerprint
    assert (tags(first.certificate_arn)[ownership.TAG_IMPORTED_BY],
            tags(first.certificate_arn)[ownership.TAG_FINGERPRINT]) == (this_run, renewal.fingerprint_sha256)


def test_a_certificate_re_imported_by_hand_into_the_workflows_arn_is_put_back_by_the_next_run(sandbox):
    """ACM keeps an ARN's tags on a re-import (acm_fixes.py), so after a person re-imports other content into the
    workflow's ARN its fingerprint tag still names the secret's certificate: only the content ACM holds tells."""
    from import_certificate.logic import ensure_certificate
    from layer7 import ownership
    from layer7.certificates import fingerprint_sha256

    acm, secretsmanager = sandbox.client("acm"), sandbox.client("secretsmanager")
    host = "milvus.by-hand.example.com"
    earlier, this_run = (f"arn:aws:states:us-east-1:123456789012:execution:MilvusLayer7-Setup:{name}"
                         for name in ("earlier-run", "this-run"))

    def held(arn: str) -> str:
        from cryptography import x509

        pem = acm.get_certificate(CertificateArn=arn)["Certificate"]
        return fingerprint_sha256(x509.load_pem_x509_certificate(pem.encode()))

    # Given the host's certificate from its secret, imported by an earlier execution
    ca = make_ca("by-hand CA", "rsa2048")
    leaf = make_leaf(ca, [host], "rsa2048")
    request = _request_for(secretsmanager, leaf, host)
    first = ensure_certificate(request, acm=acm, secretsmanager=secretsmanager, execution=earlier)
    # and another certificate for the host, re-imported into that ARN by hand (ACM keeps the workflow's tags)
    by_hand = make_leaf(ca, [host], "rsa2048")
    imported(acm, by_hand, first.certificate_arn)
    assert held(first.certificate_arn) == by_hand.fingerprint_sha256
    # When the setup runs again with the same secret
    rerun = ensure_certificate(request, acm=acm, secretsmanager=secretsmanager, execution=this_run)
    # Then ACM holds the secret's certificate again, in the same ARN, re-imported by this run
    assert (rerun.certificate_arn, rerun.certificate_imported) == (first.certificate_arn, True)
    assert held(first.certificate_arn) == leaf.fingerprint_sha256
    tags = {tag["Key"]: tag["Value"] for tag in acm.list_tags_for_certificate(CertificateArn=rerun.certificate_arn)[
        "Tags"]}
    assert (tags[ownership.TAG_IMPORTED_BY], tags[ownership.TAG_FINGERPRINT]) == (this_run, leaf.fingerprint_sha256)
    # and says what it found
    [warning] = rerun.warnings
    assert by_hand.fingerprint_sha256 in warning and "re-imported" in warning
    # and a run after it changes nothing
    again = ensure_certificate(request, acm=acm, secretsmanager=secretsmanager, execution=f"{this_run}-2")
    assert (again.certificate_arn, again.certificate_imported, again.warnings) == (first.certificate_arn, False, [])
