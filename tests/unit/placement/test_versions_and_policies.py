"""Placement's microversion history is sequential; every rule a handler names
is registered and documented; every route's handler checks one."""

from __future__ import annotations

import inspect
import pathlib
import re

from oslo_policy import policy as oslo_policy

from nimbus.common.api.microversion import Version
from nimbus.common.policy import list_rules
from nimbus.placement import versions
from nimbus.placement.api.routes import ROUTES

ROOT = pathlib.Path(__file__).resolve().parents[3] / "nimbus" / "placement"


def test_microversions_are_sequential_from_1_0():
    parsed = [Version.parse(v) for v in versions.VERSIONS]
    assert parsed[0] == Version(1, 0)
    for before, after in zip(parsed, parsed[1:], strict=False):
        assert (after.major, after.minor) == (before.major, before.minor + 1), after
    assert versions.API_VERSIONS.max == parsed[-1]
    assert str(parsed[-1]) == "1.39"  # the newest upstream release's


def test_every_rule_named_is_registered_and_documented():
    rules = {r.name: r for r in list_rules() if r.name.startswith("placement:")}
    named = set()
    for path in ROOT.rglob("*.py"):
        named |= set(re.findall(r'"(placement:[a-z_:]+)"', path.read_text()))
    assert named and named - set(rules) == set()
    for name in named:
        rule = rules[name]
        assert isinstance(rule, oslo_policy.DocumentedRuleDefault), name
        assert rule.description and rule.operations, name


def test_every_route_but_the_root_checks_a_policy():
    for path, methods in ROUTES.items():
        if path == "/":
            continue
        for method, handler in methods.items():
            # A route served by one handler per version range names them.
            for func in getattr(handler, "choices", [handler]):
                source = inspect.getsource(inspect.unwrap(func))
                assert "context.can(" in source, f"{method} {path}"
