"""What `/ready` is told: a loop stopped, or stalled with records waiting for 30 s."""

from __future__ import annotations

from keten.kernel.health import STALL_SECONDS, Health


def test_a_loop_holding_records_for_30_seconds_without_progress_is_a_problem() -> None:
    health = Health()
    consumer = health.loop("capacity.commands")
    consumer.busy()
    assert consumer.busy_since is not None
    started = consumer.busy_since

    assert health.problems(now=started + STALL_SECONDS - 1) == {}
    consumer.busy()  # the same records tried again: still the first moment
    assert health.problems(now=started + STALL_SECONDS) == {
        "capacity.commands": "no progress for 30 s with records waiting"
    }
    consumer.progressed()
    assert health.problems(now=started + 3600) == {}


def test_a_stopped_loop_is_a_problem_until_it_resumes() -> None:
    health = Health()
    projection = health.loop("projection.cases")
    projection.stop("cannot apply the event after 1/2 (KeyError)")

    assert health.problems() == {
        "projection.cases": "stopped: cannot apply the event after 1/2 (KeyError)"
    }
    projection.resume()
    assert health.problems() == {}
