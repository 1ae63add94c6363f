"""Validating admission webhooks, called the way kube-apiserver calls them.

A webhook sees a CREATE or UPDATE of the resources it registered for, after the object passed validation
(``store.go`` runs ``BeforeCreate`` / ``BeforeUpdate`` first, then ``createValidation`` / ``updateValidation``),
never a ``status`` subresource write. Its denial reaches the client as
``apiserver/pkg/admission/plugin/webhook/errors/statuserror.go`` ``ToStatusErr`` renders it: the webhook's code
and reason, and ``admission webhook "<name>" denied the request: <message>``. The one webhook here denies as
controller-runtime's ``admission.Denied`` does: 403 Forbidden (pkg/webhook/admission/response.go).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sandbox.kubernetes.semantics import ApiError, Kind

Lookup = Callable[[str, str | None, str], dict[str, Any] | None]  # (plural, namespace, name) -> object


class ValidatingWebhook(Protocol):
    name: str
    resources: frozenset[str]  # plurals, e.g. {"ingresses"}

    def review(self, operation: str, obj: dict[str, Any], old: dict[str, Any] | None,
               lookup: Lookup) -> str | None: ...  # the denial's message, None to allow


def admit(webhooks: list[ValidatingWebhook], kind: Kind, operation: str, obj: dict[str, Any],
          old: dict[str, Any] | None, lookup: Lookup, subresource: str | None = None) -> None:
    if subresource is not None:
        return
    for webhook in webhooks:
        if kind.plural not in webhook.resources:
            continue
        denial = webhook.review(operation, obj, old, lookup)
        if denial is not None:
            raise ApiError(403, "Forbidden", f'admission webhook "{webhook.name}" denied the request: {denial}')
