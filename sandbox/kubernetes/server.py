"""The HTTP face of the stand-in: kmock's KubernetesEmulator plus authn, authz and real verbs.

kmock serves discovery, watch streams and object history; its own CRUD is a naive dict merge with
non-Kubernetes error reasons and no PUT. This subclass checks the EKS token (401) and RBAC (403), then answers
resource requests itself (``StoreMixin``) with kube-apiserver's ``Status`` reasons. With ``faults``, a share of
the calls meets one of kube-apiserver's own faults first (``faults.py``).
"""

from __future__ import annotations

import json
import re
import traceback
from typing import Any

import aiohttp.web
import attrs
import yaml
from kmock import KubernetesEmulator, KubernetesError, RawHandler, Request, ResourceInfo, action

from sandbox.faults import Dice
from sandbox.kubernetes import faults as kube_faults
from sandbox.kubernetes import rbac, semantics
from sandbox.kubernetes.auth import TokenError, TokenVerifier
from sandbox.kubernetes.semantics import ApiError, Kind
from sandbox.kubernetes.store import StoreMixin

PUBLIC_PATHS = {"/version", "/healthz", "/livez", "/readyz"}
APPLY = "application/apply-patch+yaml"
# kmock's path parser reads /api/v1/namespaces[/NAME[/status]] as a namespace prefix, not as Namespace objects.
NAMESPACE_PATH = re.compile(r"^/api/v1/namespaces(?:/([^/]+))?(?:/(status))?/?$")


@attrs.define(kw_only=True)
class Emulator(StoreMixin, KubernetesEmulator):
    verifier: TokenVerifier
    # access key id -> the user EKS maps it to (access entry); keys not here are cluster admins (the creator)
    identities: dict[str, rbac.User] = attrs.field(factory=dict)
    denied_namespaces: set[str] = attrs.field(factory=set)  # 403 in these namespaces only
    auth_failures: list[str] = attrs.field(factory=list)  # why tokens were refused (never the token)
    validating_webhooks: list[Any] = attrs.field(factory=list)  # admission.ValidatingWebhook, in call order
    faults: Dice | None = None  # off unless set: every call not to a health path rolls these dice first
    _rv: int = attrs.field(default=0, init=False)
    _owners: dict[Any, Any] = attrs.field(factory=dict, init=False)
    _times: dict[Any, dict[str, str]] = attrs.field(factory=dict, init=False)  # managedFields' time, per manager

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        for kind in semantics.KINDS:
            self.resources[self._res(kind)] = ResourceInfo(
                kind=kind.kind, namespaced=kind.namespaced, singular=kind.kind.lower(),
                verbs={"create", "delete", "get", "list", "patch", "update", "watch"},
                subresources={"status"} if kind.has_status else set())

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        # The filters that throttle, time out or turn away a shutting-down server's calls run before the handler;
        # health checks are exempt (with_retry_after.go pathPrefixesExemptFromRetryAfter).
        fault = self.faults.roll() if self.faults is not None and raw_request.path not in PUBLIC_PATHS else None
        if fault is not None:
            response = kube_faults.answer(fault, raw_request)
            # reset: the connection is gone; aiohttp's write of this stand-in answer fails quietly (ConnectionError)
            return response or aiohttp.web.Response(status=500)
        match = NAMESPACE_PATH.match(raw_request.path)
        if not match:
            return await super().__call__(raw_request)
        body = await raw_request.read()
        watch = raw_request.method == "GET" and raw_request.query.get("watch") in ("true", "1")
        request = Request(method=raw_request.method, url=raw_request.url, params=dict(raw_request.query),
                          headers=dict(raw_request.headers), body=body, text=body.decode("utf-8", "replace"),
                          resource=self._res(semantics.BY_PLURAL["namespaces"]), raw_request=raw_request,
                          action=action.WATCH if watch else None, name=match.group(1),
                          subresource=match.group(2))
        try:
            return await self._handle(request)
        except Exception as e:  # noqa: BLE001 - rendered as a Status, as kmock does for other paths
            return await self._render_error(e)

    async def _render_error(self, exc: Exception) -> aiohttp.web.StreamResponse:
        if isinstance(exc, KubernetesError):
            body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": exc.message or "", "reason": exc.reason or "", "code": exc.status}
            if exc.details:
                body["details"] = exc.details
            return aiohttp.web.json_response(body, status=exc.status)
        return aiohttp.web.json_response(
            {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "InternalError",
             "message": f"Internal error occurred: {exc!r}", "code": 500,
             "details": {"causes": [{"message": traceback.format_exc(limit=3)}]}}, status=500)

    def _authenticate(self, request: Request) -> str:
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            return self.verifier.verify(headers.get("authorization"))
        except TokenError as e:
            self.auth_failures.append(f"{request.method} {request.url.path}: {e}")
            raise ApiError(401, "Unauthorized", "Unauthorized") from None

    def _authorize(self, access_key_id: str, request: Request, kind: Kind) -> None:
        user = self.identities.get(access_key_id) or rbac.User(access_key_id, (rbac.MASTERS,))
        namespace = request.namespace if kind.namespaced else None
        method = str(getattr(request.method, "value", request.method))  # kmock: a str Enum
        verb = rbac.request_verb(method.upper(), request.name, request.params)
        attributes = rbac.Attributes(verb=verb, api_group=kind.group, resource=kind.plural, namespace=namespace,
                                     name=request.name or "", subresource=request.subresource or "")
        denied = namespace in self.denied_namespaces
        if not denied and rbac.allowed(user, attributes, self._stored("roles"), self._stored("rolebindings")):
            return
        # apiserver: responsewriters.forbiddenMessage and apierrors.NewForbidden (docs: notes B7)
        what = f'{kind.group_resource} "{request.name}"' if request.name else kind.group_resource
        resource = f"{kind.plural}/{request.subresource}" if request.subresource else kind.plural
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        raise ApiError(403, "Forbidden", f'{what} is forbidden: User "{user.name}" cannot {verb} resource '
                       f'"{resource}" in API group "{kind.group}" {scope}',
                       name=request.name or "", group=kind.group, kind=kind.plural)

    def _stored(self, plural: str) -> list[dict[str, Any]]:
        return self.op_list(semantics.BY_PLURAL[plural], None)["items"]

    async def _handle(self, request: Request) -> aiohttp.web.StreamResponse:
        user = "system:anonymous"
        if request.url.path not in PUBLIC_PATHS:
            user = self._authenticate(request)
        res = request.resource
        if res is None or not res.plural:
            return await RawHandler._handle(self, request)  # discovery, /version: kmock's scaffold
        kind = semantics.find_kind(res.group, res.version, res.plural)
        if kind is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        self._authorize(user, request, kind)
        if request.method == "GET" and request.params.get("watch") in ("true", "1"):
            return await RawHandler._handle(self, request)  # kmock streams the bus
        async with self._lock:
            result = await self._dispatch(kind, request)
        code = 200
        if request.method == "POST" or (request.method == "PATCH" and result.pop("__created__", False)):
            code = 201
        return aiohttp.web.json_response(result, status=code)

    def _body(self, request: Request, content_type: str) -> Any:
        if content_type == APPLY:
            try:
                return yaml.safe_load(request.text or "null")  # JSON is YAML too
            except yaml.YAMLError as e:
                raise ApiError(400, "BadRequest", f"error decoding YAML: {e}") from None
        try:
            return json.loads(request.text or "null")
        except ValueError as e:
            raise ApiError(400, "BadRequest", f"error decoding JSON: {e}") from None

    async def _dispatch(self, kind: Kind, request: Request) -> Any:
        ns, name, params = request.namespace, request.name, request.params
        if kind.namespaced and ns is None and request.method != "GET":
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        headers = {k.lower(): v for k, v in request.headers.items()}
        content_type = (headers.get("content-type") or "application/json").split(";")[0].strip()
        manager = params.get("fieldManager") or headers.get("user-agent", "unknown").split("/")[0]
        sub = request.subresource
        if sub not in (None, "status") or (sub == "status" and not kind.has_status):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if request.method == "GET":
            if name is None:
                return self.op_list(kind, ns, params.get("fieldSelector"), params.get("labelSelector"))
            return self._existing(kind, ns, name)
        if request.method == "POST" and name is None:
            return await self.op_create(kind, ns, self._body(request, content_type), manager)
        if name is None:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if request.method == "PUT":
            body = self._body(request, content_type)
            return await self.op_update(kind, ns, name, body, manager, subresource=sub, check_rv=True)
        if request.method == "DELETE":
            return await self.op_delete(kind, ns, name)
        if request.method == "PATCH" and content_type == APPLY:
            if not params.get("fieldManager"):
                raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
                               "Required value: is required for apply patch", kind="PatchOptions",
                               group="meta.k8s.io", causes=[{"reason": "FieldValueRequired",
                                                             "field": "fieldManager"}])
            created = self._current(kind, ns, name) is None
            result = await self.op_apply(kind, ns, name, self._body(request, content_type), manager,
                                         force=params.get("force") in ("true", "1"))
            return dict(result, __created__=True) if created else result
        if request.method == "PATCH":
            return await self.op_patch(kind, ns, name, content_type, self._body(request, content_type), manager,
                                       subresource=sub)
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
