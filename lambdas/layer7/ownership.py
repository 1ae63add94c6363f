"""The marks by which the workflow knows what is its own: one home for the Lambdas and the stack's IAM.

ImportCertificate tags every certificate it imports; the stack lets it
import, re-import and tag only certificates carrying (or requesting) the
managed-by tag. VerifyGrpc may read only secrets under the token prefix,
so it can never read a certificate's private key.
Only the standard library here: the CDK app loads this module (stacks/runtime.py).
"""

from __future__ import annotations

TAG_HOST = "milvus-layer7:host"
TAG_FINGERPRINT = "milvus-layer7:fingerprint"
TAG_MANAGED_BY = "milvus-layer7:managed-by"
# The execution that last imported the certificate's content: a retry of ImportCertificate in that execution
# answers "imported", a later execution does not (no clock is compared: DESIGN "Why each step is safe to rerun").
TAG_IMPORTED_BY = "milvus-layer7:imported-by"
MANAGED_BY = "milvus-layer7"
CERTIFICATE_TAG_KEYS = (TAG_HOST, TAG_FINGERPRINT, TAG_MANAGED_BY, TAG_IMPORTED_BY)

# Milvus credentials for VerifyGrpc (verify.tokenSecretArn) live under this name prefix.
TOKEN_SECRET_PREFIX = "milvus-layer7/tokens/"  # noqa: S105 - a naming convention, not a secret
