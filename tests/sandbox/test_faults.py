"""The sandbox's fault dice: shares by kind, reproducible from a seed, refused when they cannot be."""

from __future__ import annotations

import pytest

from sandbox.faults import Faults


def test_a_spec_reads_as_shares_by_kind_and_a_seed():
    faults = Faults.parse("429=0.1, 500=0.05,reset=0.05,seed=7")
    assert faults == Faults((("429", 0.1), ("500", 0.05), ("reset", 0.05)), seed=7)
    assert Faults.parse(faults.spec()) == faults


def test_a_spec_names_a_target_per_kind_and_a_kind_without_one_is_the_kubernetes_apis():
    # Given a spec for the Kubernetes API, in both forms, and two AWS services
    faults = Faults.parse("kube:429=0.1,503=0.1,aws.elbv2:throttle=0.6,aws.route53:prior-request=0.2,"
                          "aws.elbv2:503=0.4,seed=7")
    # Then each target's shares are what its dice roll, with the same seed, and the spec reads back the same
    assert faults.targets() == ("kube", "aws.elbv2", "aws.route53")
    assert faults.only("kube") == Faults((("429", 0.1), ("503", 0.1)), seed=7)
    assert faults.only("aws.elbv2") == Faults((("throttle", 0.6), ("503", 0.4)), seed=7)
    assert faults.only("aws.route53") == Faults((("prior-request", 0.2),), seed=7)
    assert faults.only("aws.acm") == Faults((), seed=7)
    assert Faults.parse(faults.spec()) == faults


def test_the_same_seed_throws_the_same_faults_and_the_shares_hold():
    # Given a fifth of the calls failing, two kinds
    faults = Faults((("429", 0.15), ("reset", 0.05)), seed=3)
    # When two dice from the same faults roll 2,000 times each
    first, second = faults.dice(), faults.dice()
    rolls = [first.roll() for _ in range(2000)]
    # Then they throw the same faults in the same order, and about the asked share of each
    assert rolls == [second.roll() for _ in range(2000)]
    assert 0.12 < rolls.count("429") / 2000 < 0.18 and 0.03 < rolls.count("reset") / 2000 < 0.07
    assert first.thrown == [kind for kind in rolls if kind is not None]
    # And another seed throws others
    assert [Faults(faults.rates, seed=4).dice().roll() for _ in range(200)] != rolls[:200]


@pytest.mark.parametrize("spec, message", [
    ("429", "write target:kind=share"),
    ("418=0.1", "'418': not one of kube's 429, 500, 503, 504, reset"),
    ("aws.elbv2:429=0.1", "'aws.elbv2:429': not one of aws.elbv2's throttle, 500, 503"),
    ("aws.s3:throttle=0.1", "'aws.s3:throttle': no target 'aws.s3' \\(targets: kube, aws.elbv2, "),
    ("aws.elbv2:throttle=0.6,aws.elbv2:500=0.6", "add up to more than every call of aws.elbv2"),
    ("429=lots", "'lots' is not a number"),
    ("429=1.5", "between 0 and 1"),
    ("429=0.6,500=0.6", "add up to more than every call"),
])
def test_a_spec_that_cannot_be_is_refused_naming_why(spec, message):
    with pytest.raises(ValueError, match=message):
        Faults.parse(spec)
