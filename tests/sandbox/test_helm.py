"""The three-way strategic merge patch the sandbox's helm upgrade sends (sandbox/kubernetes/helm.py)."""

from sandbox.kubernetes import helm


def test_three_way_patch_deletes_only_what_the_last_manifest_had_and_the_new_one_drops():
    # Given the last release's manifest, the new rendering and a live object edited by others
    original = {"metadata": {"annotations": {"a": "1", "b": "2"}}, "spec": {"ports": [{"port": 1}, {"port": 2}]}}
    target = {"metadata": {"annotations": {"a": "1"}}, "spec": {"ports": [{"port": 1}]}}
    current = {"metadata": {"annotations": {"a": "0", "b": "2", "c": "3"}},
               "spec": {"ports": [{"port": 1, "nodePort": 30001}, {"port": 2}]}}
    # Then changed fields are set, fields only the live object has stay, fields the chart dropped are deleted
    assert helm.three_way_patch(original, target, current) == {
        "metadata": {"annotations": {"a": "1", "b": None}},
        "spec": {"ports": [{"port": 2, "$patch": "delete"}]},
    }
