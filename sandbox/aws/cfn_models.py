"""What moto's CloudFormation needs to deploy the product's stack as AWS would.

- AWS::Lambda::Function: moto's model drops ``Layers`` (without which a function cannot import its
  dependencies), ``LoggingConfig``, ``Architectures``, ``TracingConfig`` and ``EphemeralStorage``: they are applied
  after moto creates or updates the function.
- AWS::StepFunctions::StateMachine without ``StateMachineName``: CloudFormation names it
  ``<LogicalId>-<12 letters and digits>``, without the stack's name (aws-cloudformation-resource-providers-
  stepfunctions ``ResourceModelUtils``, ``IdentifierUtils.generateResourceIdentifier`` with three arguments);
  moto puts the stack's name first, which a tool could rely on here and nowhere on AWS.
- ExecuteChangeSet (what ``cdk deploy`` uses), below.
- Types moto does not model are skipped with a warning. ``PLACEHOLDER_TYPES`` (those the stacks use) get a model
  that records its properties (``placeholders``, read for the access entries), answers Ref with a plausible
  physical id and GetAtt with ``Arn``-like values, and creates nothing else.
"""

from __future__ import annotations

import functools
import threading
import uuid
from typing import Any

# type -> how Ref answers ("arn" -> an ARN, "name" -> logical-id based name)
PLACEHOLDER_TYPES = {"AWS::EKS::AccessEntry": "arn", "AWS::EC2::SecurityGroupEgress": "name",
                     "AWS::CloudWatch::Alarm": "name"}
placeholders: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


@functools.cache  # the patches are process-wide, as moto's classes are: applied once
def install() -> None:
    _install_state_machine_names()
    _install_lambda_properties()
    _install_placeholders()
    _install_change_set_fixes()


def _install_state_machine_names() -> None:
    import secrets
    import string

    from moto.stepfunctions.models import StateMachine

    create = StateMachine.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> Any:
        if not (cloudformation_json.get("Properties") or {}).get("StateMachineName") and kwargs.get("LogicalId"):
            suffix = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))
            resource_name = f"{kwargs['LogicalId'][:67]}-{suffix}"
        return create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    StateMachine.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign,assignment]


def _install_change_set_fixes() -> None:
    """ExecuteChangeSet in moto: Outputs come from the template the stack was created with (empty for a change
    set), so they are recomputed after applying; a resource that fails to create made it answer 500 while the
    stack said CREATE_COMPLETE (the CLI reported success): the stack now ends ROLLBACK_COMPLETE /
    UPDATE_ROLLBACK_COMPLETE with the error as the failed event's reason, which the CLI reports."""
    from moto.cloudformation.models import ChangeSet, CloudFormationBackend

    original_apply = ChangeSet.apply
    original_execute = CloudFormationBackend.execute_change_set

    def apply(self: Any) -> None:
        original_apply(self)
        self.stack.template = self.template
        self.stack._parse_template()
        self.stack.output_map = self.stack._create_output_map()

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        try:
            original_execute(self, change_set_name, stack_name)
        except Exception as exc:  # noqa: BLE001 - reported through the stack, as AWS does
            change_set = self.change_sets.get(change_set_name) or next(
                (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name), None)
            if change_set is None:
                raise
            stack = self.stacks[change_set.stack_id]
            creating = change_set.change_set_type == "CREATE"
            stack._add_stack_event("CREATE_FAILED" if creating else "UPDATE_FAILED",
                                   resource_status_reason=f"{type(exc).__name__}: {exc}")
            stack.status = "ROLLBACK_COMPLETE" if creating else "UPDATE_ROLLBACK_COMPLETE"
            change_set.execution_status = "EXECUTE_FAILED"

    ChangeSet.apply = apply  # type: ignore[method-assign]  # the patch itself
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]  # the patch itself


def _apply_extra(fn: Any, properties: dict[str, Any]) -> None:
    if properties.get("Layers"):
        arns = [getattr(layer, "arn", layer) for layer in properties["Layers"]]
        fn.layers = fn._get_layers_data(arns)
    if "LoggingConfig" in properties:
        fn.sandbox_logging_config = dict(properties["LoggingConfig"] or {})
    if properties.get("Architectures"):
        fn.architectures = properties["Architectures"]
    if properties.get("TracingConfig"):
        fn.tracing_config = properties["TracingConfig"]
    if properties.get("EphemeralStorage"):
        fn.ephemeral_storage = int(properties["EphemeralStorage"]["Size"])


def _install_lambda_properties() -> None:
    from moto.awslambda.models import LambdaFunction, LayerVersion

    # Ref to a LayerVersion is its ARN; moto's model has no physical id, so
    # Ref handed the model object itself to the function's Layers.
    LayerVersion.physical_resource_id = property(lambda self: self.arn)  # type: ignore[attr-defined]  # added: see above
    create = LambdaFunction.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]  # a classmethod's function
    update = LambdaFunction.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]  # a classmethod's function

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> Any:
        fn = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        _apply_extra(fn, cloudformation_json.get("Properties", {}))
        return fn

    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> Any:
        fn = update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        _apply_extra(fn, cloudformation_json.get("Properties", {}))
        return fn

    LambdaFunction.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[method-assign,assignment]  # the patch itself
    LambdaFunction.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)  # type: ignore[method-assign,assignment]  # the patch itself


def _install_placeholders() -> None:
    from moto.core.common_models import CloudFormationModel

    for cfn_type, ref_style in PLACEHOLDER_TYPES.items():
        type(cfn_type.replace("::", ""), (PlaceholderModel, CloudFormationModel),
             {"CFN_TYPE": cfn_type, "REF_STYLE": ref_style})
    models_added()


def models_added() -> None:
    """moto's CloudFormation finds its models as CloudFormationModel's subclasses, cached: a new one needs this."""
    from moto.cloudformation import parsing

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


class PlaceholderModel:
    """A resource moto lacks: recorded, given ids, otherwise inert (deleting it is CloudFormationModel's no-op)."""

    CFN_TYPE = ""
    REF_STYLE = "name"

    def __init__(self, name: str, properties: dict[str, Any], account_id: str, region: str) -> None:
        _, service, kind = self.CFN_TYPE.lower().split("::")
        self.name = name
        self.properties = properties
        self.arn = f"arn:aws:{service}:{region}:{account_id}:{kind}/{name}/{uuid.uuid4().hex[:8]}"

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.CFN_TYPE

    @property
    def physical_resource_id(self) -> str:
        return self.arn if self.REF_STYLE == "arn" else self.name

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name.endswith("Arn"):
            return self.arn
        return str(self.properties.get(attribute_name, self.name))

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> Any:
        resource = cls(resource_name, dict(cloudformation_json.get("Properties", {})), account_id, region_name)
        with _lock:
            placeholders[f"{cls.CFN_TYPE}/{kwargs.get('LogicalId', resource_name)}"] = resource.properties
        return resource

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> Any:
        original_resource.properties = dict(cloudformation_json.get("Properties", {}))
        return original_resource
