"""The stand-in's ALB health checks (sandbox/dataplane/health.py) against the ALB guide's words, on a moved clock."""

from __future__ import annotations

import pytest

from sandbox.dataplane.health import HealthCheckSettings, TargetHealthChecks

OURS = HealthCheckSettings(interval_seconds=5, timeout_seconds=4, healthy_threshold_count=2,
                           unhealthy_threshold_count=3)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def checks(answers, settings=OURS, scale=1.0):
    """Checks whose probe answers from ``answers`` in turn, recording the timeouts it was given."""
    clock, timeouts, replies = Clock(), [], list(answers)

    def probe(timeout):
        timeouts.append(timeout)
        return replies.pop(0)

    target = TargetHealthChecks(probe, settings, scale=scale, clock=clock)
    return target, clock, timeouts


def advance(target, clock, seconds):
    clock.now += seconds
    target.tick()
    return target.state


def test_before_registration_completes_the_target_is_initial_and_nothing_is_checked():
    target, clock, timeouts = checks([])
    assert advance(target, clock, 60) == "initial" and target.reason == "Elb.RegistrationInProgress"
    assert timeouts == []


def test_a_new_target_is_healthy_after_one_passing_check_one_interval_after_registration():
    # Given a target registered at t=1000 that answers
    target, clock, timeouts = checks([True])
    target.start()
    # Then it is initial (initial health checks in progress) until the first check, one interval later
    assert advance(target, clock, 4.9) == "initial" and target.reason == "Elb.InitialHealthChecking"
    # And healthy at that one passing check, not after HealthyThresholdCount of them
    assert advance(target, clock, 0.1) == "healthy" and target.healthy_at == 1005.0
    assert timeouts == [4]


def test_the_checks_keep_their_schedule_and_the_probe_gets_the_timeout():
    target, clock, timeouts = checks([True, True, True])
    target.start()
    advance(target, clock, 15)  # three checks due at 1005, 1010, 1015: all run, at their times
    assert [when for when, _ in target.checks] == [1005.0, 1010.0, 1015.0] and timeouts == [4, 4, 4]


def test_a_healthy_target_turns_unhealthy_only_after_the_unhealthy_threshold():
    # Given a healthy target whose backend then stops answering
    target, clock, _ = checks([True, False, False, False])
    target.start()
    assert advance(target, clock, 5) == "healthy"
    # Then two failures keep it healthy (UnhealthyThresholdCount 3), the third takes it out
    assert advance(target, clock, 5) == "healthy" and advance(target, clock, 5) == "healthy"
    assert advance(target, clock, 5) == "unhealthy" and target.reason == "Target.FailedHealthChecks"


def test_an_unhealthy_target_needs_the_healthy_threshold_of_passes_in_a_row():
    target, clock, _ = checks([False, False, False, True, False, True, True])
    target.start()
    assert [advance(target, clock, 5) for _ in range(7)] == [
        "initial", "initial", "unhealthy",  # a target never healthy fails its way out too
        "unhealthy", "unhealthy",  # one pass, then a failure: the count starts again
        "unhealthy", "healthy"]  # two passes in a row (HealthyThresholdCount 2)


def test_a_probe_that_raises_is_a_failed_check():
    def probe(timeout):
        raise ConnectionRefusedError

    clock = Clock()
    target = TargetHealthChecks(probe, HealthCheckSettings(), clock=clock)
    target.start()
    assert [advance(target, clock, 15) for _ in range(2)] == ["initial", "unhealthy"]


@pytest.mark.parametrize(("settings", "ready_after"), [(HealthCheckSettings(), 15.0), (OURS, 5.0)])
def test_scale_shortens_the_pace_not_the_model(settings, ready_after):
    # Given the sandbox's scale of 0.2
    target, clock, timeouts = checks([True], settings, scale=0.2)
    target.start()
    # Then the first check comes after a fifth of the interval, with a fifth of the timeout
    assert advance(target, clock, ready_after * 0.2 - 0.01) == "initial"
    assert advance(target, clock, 0.01) == "healthy" and timeouts == [pytest.approx(settings.timeout_seconds * 0.2)]
