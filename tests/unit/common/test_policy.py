"""Every rule a handler names is registered and documented; a policy file overrides."""

from __future__ import annotations

import pathlib
import re

from oslo_policy import policy as oslo_policy

from nimbus.common import config
from nimbus.common.context import AuthInfo, RequestContext
from nimbus.common.policy import Policy, list_rules

ROOT = pathlib.Path(__file__).resolve().parents[3] / "nimbus"


def test_every_rule_named_in_the_code_is_registered():
    registered = {r.name for r in list_rules()}
    named = set()
    for path in ROOT.rglob("*.py"):
        # Literal names only; names built in f-strings are checked by the
        # tests that call those handlers.
        named |= set(re.findall(r'(?<!f)"(identity:[a-z_]+)"', path.read_text()))
    assert named and named - registered == set()


def test_every_api_rule_is_documented():
    for rule in list_rules():
        if rule.name.startswith("identity:"):
            assert isinstance(rule, oslo_policy.DocumentedRuleDefault), rule.name
            assert rule.description and rule.operations, rule.name


def _context(policy, roles, project="p1"):
    return RequestContext(request_id="req-x", policy=policy, auth=AuthInfo(
        user_id="u1", user_name="u", user_domain_id="default", user_domain_name="Default",
        roles=tuple(roles), project_id=project, project_domain_id="default"))


def test_personas_against_defaults():
    policy = Policy(config.make_conf())
    admin = _context(policy, ["admin", "manager", "member", "reader"])
    member = _context(policy, ["member", "reader"])
    assert admin.allowed("identity:create_project", {"target.project.domain_id": "default"})
    assert not member.allowed("identity:create_project", {"target.project.domain_id": "default"})
    assert member.allowed("identity:get_project", {"target.project.id": "p1",
                                                   "target.project.domain_id": "default"})
    assert not member.allowed("identity:get_project", {"target.project.id": "p2",
                                                       "target.project.domain_id": "default"})
    assert member.allowed("identity:get_domain", {"target.domain.id": "default"})


def test_policy_file_overrides_a_default(tmp_path):
    rules = tmp_path / "policy.yaml"
    rules.write_text('"identity:create_project": "role:member"\n')
    conf = config.make_conf(overrides={"oslo_policy": {"policy_file": str(rules)}})
    member = _context(Policy(conf), ["member"])
    assert member.allowed("identity:create_project", {"target.project.domain_id": "default"})


def _persona(policy, roles, *, project="p1", domain=None, system=None, user="u1"):
    return RequestContext(request_id="req-x", policy=policy, auth=AuthInfo(
        user_id=user, user_name="u", user_domain_id="default", user_domain_name="Default",
        roles=tuple(roles), project_id=None if (domain or system) else project,
        project_domain_id=None if (domain or system) else "default", domain_id=domain,
        system_scope=system))


def test_fast_evaluation_agrees_with_oslo_policy_on_every_rule():
    """Policy.check walks oslo.policy's check trees itself; for every rule,
    persona and target it must say what oslo.policy's enforce says."""
    policy = Policy(config.make_conf())
    enforcer = policy._enforcer
    personas = [
        _persona(policy, roles)
        for roles in (["admin", "manager", "member", "reader"], ["manager", "member", "reader"],
                      ["member", "reader"], ["reader"], ["service"], [])]
    personas += [_persona(policy, ["admin"], system="all"),
                 _persona(policy, ["admin", "member", "reader"], domain="default"),
                 _persona(policy, ["member", "reader"], project="other")]
    targets = [{"project_id": "p1", "user_id": "u1", "domain_id": "default"},
               {"project_id": "p2", "user_id": "u2", "domain_id": "other"}, {}]
    checked = 0
    for rule in enforcer.registered_rules:
        for ctx in personas:
            for target in targets:
                creds = ctx.credentials()
                try:
                    expected = bool(enforcer.enforce(rule, target, dict(creds)))
                except oslo_policy.InvalidScope:
                    expected = False
                assert policy.check(rule, target, ctx) == expected, (rule, ctx.auth, target)
                checked += 1
    assert checked > 1000
