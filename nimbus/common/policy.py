"""Policy in code: every service's defaults registered on one oslo.policy enforcer.

Rules are named ``<service>:<resource>:<action>`` for new services and keep
upstream's names where clients or operators already use them
(``identity:create_project``). Operators override any rule in the file named
by ``[oslo_policy] policy_file`` (YAML or JSON).
"""

from __future__ import annotations

import importlib
import threading
import time
from typing import TYPE_CHECKING, Any

from oslo_config import cfg
from oslo_policy import _checks
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


# How often the policy file is looked at for changes, at most (seconds).
RELOAD_INTERVAL = 2.0


class Policy:
    """The enforcer of one server, with every service's defaults.

    Rules are oslo.policy's (its parser, its check classes, its policy file
    handling, so operators' files work unchanged), evaluated by
    :func:`evaluate`: oslo.policy's own ``enforce`` re-reads the policy file's
    state and inspects every check's call signature on each call, which cost
    close to a millisecond per check, several times per request. The file is
    looked at every RELOAD_INTERVAL seconds instead.
    """

    def __init__(self, conf: cfg.ConfigOpts):
        self._enforcer = oslo_policy.Enforcer(conf, use_conf=True)
        self._enforcer.register_defaults(list_rules())
        self._enforcer.load_rules()
        self._loaded = time.monotonic()
        self._lock = threading.Lock()

    def _rules(self) -> Any:
        if time.monotonic() - self._loaded > RELOAD_INTERVAL:
            with self._lock:
                if time.monotonic() - self._loaded > RELOAD_INTERVAL:
                    self._enforcer.load_rules()
                    self._loaded = time.monotonic()
        return self._enforcer.rules

    def check(self, rule: str, target: dict[str, Any], context: RequestContext) -> bool:
        registered = self._enforcer.registered_rules.get(rule)
        if registered is None:
            raise KeyError(f"policy rule {rule} is not registered")
        creds = context.credentials()
        if creds.get("system_scope"):
            creds["system"] = creds["system_scope"]
        if not _scope_allows(registered.scope_types, creds):
            return False
        to_check = self._rules().get(rule)
        if to_check is None:
            return False  # fail closed, as oslo.policy does
        return evaluate(to_check, target, creds, self._enforcer, rule)

    def authorize(self, rule: str, target: dict[str, Any], context: RequestContext) -> None:
        if not self.check(rule, target, context):
            raise PolicyDenied(rule)


def _scope_allows(scope_types: Any, creds: dict[str, Any]) -> bool:
    """oslo.policy's scope rule: a token's scope must be one the rule names."""
    if not scope_types:
        return True
    if creds.get("system"):
        scope = "system"
    elif creds.get("domain_id"):
        scope = "domain"
    else:
        scope = "project"
    return scope in scope_types


def evaluate(check: Any, target: dict[str, Any], creds: dict[str, Any],
             enforcer: Any, current_rule: str | None) -> bool:
    """Walk an oslo.policy check tree: and, or, not and rule references here,
    the leaf checks (role, generic, true, false...) by their own __call__."""
    if isinstance(check, _checks.AndCheck):
        return all(evaluate(c, target, creds, enforcer, current_rule) for c in check.rules)
    if isinstance(check, _checks.OrCheck):
        return any(evaluate(c, target, creds, enforcer, current_rule) for c in check.rules)
    if isinstance(check, _checks.NotCheck):
        return not evaluate(check.rule, target, creds, enforcer, current_rule)
    if isinstance(check, _checks.RuleCheck):
        referenced = enforcer.rules.get(check.match)
        if referenced is None:
            return False
        return evaluate(referenced, target, creds, enforcer, current_rule)
    return bool(check(target, creds, enforcer, current_rule))
