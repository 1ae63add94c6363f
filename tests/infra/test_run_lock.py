"""One run per host: the lock's table, who may write it, and the states that give it back (stacks/run_lock.py)."""

from __future__ import annotations

import json

from tests.infra.test_permissions import _as_list, role_statements


def _table_id(synth) -> str:
    (table_id,) = synth.of_type("AWS::DynamoDB::Table")
    return table_id


def test_the_lock_table_is_keyed_by_host_paid_per_request_expires_and_goes_with_the_stack(default_synth):
    table_id = _table_id(default_synth)
    table = default_synth.resources[table_id]
    assert table["Properties"]["KeySchema"] == [{"AttributeName": "host", "KeyType": "HASH"}]
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Delete"


def test_both_validate_steps_write_only_the_locks_attributes_and_know_the_table_and_hold_time(default_synth):
    table_id = _table_id(default_synth)
    setup = default_synth.definition()["TimeoutSeconds"]
    undo = default_synth.definition("Undo")["TimeoutSeconds"]
    for step in ("Validate", "ValidateUndo"):
        [put] = [s for s in role_statements(default_synth, step) if "dynamodb:PutItem" in _as_list(s["Action"])]
        assert put["Action"] == "dynamodb:PutItem" and put["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}
        assert put["Condition"] == {"ForAllValues:StringEquals": {
            "dynamodb:Attributes": ["host", "holder", "acquiredAt", "expiresAt"]}}
        (function,) = [f for key, f in default_synth.of_type("AWS::Lambda::Function").items()
                       if key.startswith(f"Steps{step}") and not key.startswith(f"Steps{step}Undo")]
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["RUN_LOCK_TABLE"] == {"Ref": table_id}
        # the lock expires no sooner than the longer workflow's timeout
        assert variables["RUN_LOCK_HOLD_SECONDS"] == str(max(setup, undo))
    # and no other step touches the table
    for key in default_synth.of_type("AWS::IAM::Role"):
        step = key.removeprefix("Steps").split("Role")[0]
        if key.startswith("Steps") and step not in ("Validate", "ValidateUndo"):
            assert "dynamodb" not in json.dumps(role_statements(default_synth, step)), step


def test_every_ending_gives_the_lock_back_only_if_this_run_holds_it(default_synth):
    for workflow in ("Setup", "Undo"):
        states = default_synth.definition(workflow)["States"]
        for name, after in (("ReleaseRunLock", "Succeed"), ("ReleaseRunLockAfterFailure", "Failed")):
            release = states[name]
            assert release["Resource"].endswith(":states:::dynamodb:deleteItem"), (workflow, name)
            assert release["Parameters"]["Key"] == {"host": {"S.$": "$.request.host"}}
            assert release["Parameters"]["ConditionExpression"] == "#holder = :me"
            assert release["Parameters"]["ExpressionAttributeNames"] == {"#holder": "holder"}
            assert release["Parameters"]["ExpressionAttributeValues"] == {":me": {"S.$": "$$.Execution.Id"}}
            assert release["ResultPath"] is None and release["Next"] == after
            # a release that fails never changes how the run ends
            assert release["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": after}]
            assert "DynamoDB.ConditionalCheckFailedException" not in json.dumps(release["Retry"])
        # the success path releases after the event, published or not, and ends with the output alone
        completed = "PublishReady" if workflow == "Setup" else "PublishUndoCompleted"
        not_published = "ReadyEventNotPublished" if workflow == "Setup" else "CompletedEventNotPublished"
        assert states[completed]["Next"] == states[not_published]["Next"] == "ReleaseRunLock"
        assert states["Succeed"] == {"Type": "Succeed", "OutputPath": "$.output"}
        # the failure path releases only when Validate got as far as the request (a refused run took nothing)
        assert states["PublishFailed"]["Next"] == states["PublishFailed"]["Catch"][0]["Next"] == "RunLockTaken?"
        assert states["RunLockTaken?"]["Choices"] == [{"Variable": "$.request.host", "IsPresent": True,
                                                      "Next": "ReleaseRunLockAfterFailure"}]
        assert states["RunLockTaken?"]["Default"] == "Failed"


def test_the_state_machines_may_delete_lock_items_and_nothing_else_in_dynamodb(default_synth):
    table_id = _table_id(default_synth)
    for workflow in ("Setup", "Undo"):
        role_id = default_synth.resources[default_synth.machine_id(workflow)]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        statements = [s for policy in default_synth.of_type("AWS::IAM::Policy").values()
                      if {"Ref": role_id} in policy["Properties"]["Roles"]
                      for s in policy["Properties"]["PolicyDocument"]["Statement"]
                      if "dynamodb" in json.dumps(s["Action"])]
        assert [(s["Action"], s["Resource"]) for s in statements] == [
            ("dynamodb:DeleteItem", {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":dynamodb:",
                                                       {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"},
                                                       ":table/", {"Ref": table_id}]]})]
