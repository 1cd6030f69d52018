"""Nimbus placement and upstream Placement answer the same random requests alike.

A few fixed seeds of tests/support/placement_differential.py's walk, each
on fresh servers; any difference that no named exception explains fails the
test with the requests that caused it. Longer runs:

    .venv/bin/python -m tests.support.placement_differential --seed 0 --steps 1000 --sequences 5
"""

from __future__ import annotations

import pytest

from tests.support import placement_differential as differential
from tests.support.backends import required

SEEDS = (101, 202, 303)
STEPS = 100


@pytest.fixture(scope="module")
def upstream_venv() -> object:
    try:
        return differential.upstream_venv()
    except differential.Unavailable as exc:
        message = f"upstream openstack-placement {differential.VERSION} unavailable: {exc}"
        if required():
            pytest.fail(message + " (and NIMBUS_REQUIRE_SERVICES=1)")
        pytest.skip(message)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_same_answers(upstream_venv: object, seed: int) -> None:
    outcome = differential.run_seed(seed, STEPS)
    assert outcome.requests == STEPS
    unexplained = outcome.unexplained
    assert not unexplained, "\n\n".join(d.describe() for d in unexplained)
