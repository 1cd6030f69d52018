"""Policy in code: every service's defaults registered on one oslo.policy enforcer.

Rules are named ``<service>:<resource>:<action>`` for new services and keep
upstream's names where clients or operators already use them
(``identity:create_project``). Operators override any rule in the file named
by ``[oslo_policy] policy_file`` (YAML or JSON).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from oslo_config import cfg
from oslo_policy import opts as policy_opts
from oslo_policy import policy as oslo_policy

if TYPE_CHECKING:
    from nimbus.common.context import RequestContext

# Modules with a list_rules() of RuleDefaults, one per service.
POLICY_MODULES: tuple[str, ...] = ("nimbus.identity.policies", "nimbus.placement.policies",
                                   "nimbus.image.policies", "nimbus.compute.policies")

# Check strings shared by every service: the personas.
ADMIN = "role:admin"
SERVICE = "role:service"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_MANAGER = "role:manager and project_id:%(project_id)s"


class PolicyDenied(Exception):
    """Policy refused `rule`; each service words the 403 its own way."""

    def __init__(self, rule: str):
        self.rule = rule
        super().__init__(rule)


def register_opts(conf: cfg.ConfigOpts) -> None:
    # Registers [oslo_policy] now (oslo.policy would do it lazily) so that
    # `--config-file` values for it are parsed with the rest.
    policy_opts.set_defaults(conf, policy_file="policy.yaml")


def list_rules() -> list[oslo_policy.RuleDefault]:
    rules: list[oslo_policy.RuleDefault] = []
    for name in POLICY_MODULES:
        rules.extend(importlib.import_module(name).list_rules())
    return rules


class Policy:
    """The enforcer of one server, with every service's defaults."""

    def __init__(self, conf: cfg.ConfigOpts):
        self._enforcer = oslo_policy.Enforcer(conf, use_conf=True)
        self._enforcer.register_defaults(list_rules())
        self._enforcer.load_rules()

    def check(self, rule: str, target: dict[str, Any], context: RequestContext) -> bool:
        if rule not in self._enforcer.registered_rules:
            raise KeyError(f"policy rule {rule} is not registered")
        try:
            return bool(
                self._enforcer.enforce(rule, target, context.credentials(), do_raise=False)
            )
        except oslo_policy.InvalidScope:
            return False

    def authorize(self, rule: str, target: dict[str, Any], context: RequestContext) -> None:
        if not self.check(rule, target, context):
            raise PolicyDenied(rule)
