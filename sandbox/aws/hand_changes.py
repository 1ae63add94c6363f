"""What a person changes in the account by hand after a setup (issue 20's drifts), through moto's own APIs.

- A certificate near its end in ACM: ``ImportCertificate`` with ``CertificateArn`` re-imports a new bundle into
  the ARN the listener serves (ACM user guide, "Reimport a certificate": the ARN, its associations and tags stay;
  the key type and size must not change, which sandbox/aws/acm_fixes.py holds moto to). ACM never renews an
  imported certificate (user guide, "Managed certificate renewal": "ACM does not attempt to renew imported
  certificates"), so one whose NotAfter is inside the warning window stays there until someone re-imports.
- A record changed by hand: ``ChangeResourceRecordSets`` with ``UPSERT`` ("If a resource record set does not
  already exist, Route 53 creates it. If a resource record set does exist, Route 53 updates it with the values in
  the request", Route 53 API reference, ``Change``): the host's A record no longer an alias to the ALB.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from testkit.certs import make_ca, make_leaf


def reimport_expiring(acm: Any, certificate_arn: str, host: str, *, days_left: int,
                      now: dt.datetime | None = None) -> None:
    """Re-import into ``certificate_arn`` a certificate for ``host`` that ends in ``days_left`` days (EC P-256, as
    the sandbox's own: a re-import keeps the key type)."""
    not_after = (now or dt.datetime.now(dt.UTC)) + dt.timedelta(days=days_left, hours=1)
    ca = make_ca("milvus-layer7 sandbox hand-made CA")
    leaf = make_leaf(ca, [host], not_after=not_after)
    reimport(acm, certificate_arn, leaf.certificate_pem, leaf.private_key_pem, ca.certificate_pem)


def reimport(acm: Any, certificate_arn: str, certificate_pem: str, private_key_pem: str, chain_pem: str) -> None:
    """Put a bundle back into ``certificate_arn`` (the one it held before)."""
    acm.import_certificate(CertificateArn=certificate_arn, Certificate=certificate_pem.encode(),
                           PrivateKey=private_key_pem.encode(), CertificateChain=chain_pem.encode())


def upsert_record(route53: Any, zone_id: str, record: dict[str, Any]) -> None:
    """``UPSERT`` one record set (what ``aws route53 change-resource-record-sets`` sends for a hand edit)."""
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]})
