"""Policy defaults of the compute service, with Nova's rule names and defaults.

One module per resource family, each with a RULES list; MODULES gathers them.
Nova's base rules that other services already register with the same
meaning (``admin_api``, ``project_reader_api``, ``service_api``...) are not
registered twice; the rest of Nova's base set is in base.py.
"""

from __future__ import annotations

from types import ModuleType

from oslo_policy import policy

from nimbus.compute.policies import (
    base,
    flavors,
    guest_access,
    guest_actions,
    instance_actions,
    keypairs,
    moves,
    rescue,
    server_actions,
    server_external_events,
    server_images,
    server_metadata,
    servers,
    shelve,
)

MODULES: list[ModuleType] = [flavors, keypairs, servers, server_actions, guest_actions,
                             guest_access, instance_actions, server_metadata,
                             server_external_events, moves, server_images, shelve, rescue]


def list_rules() -> list[policy.RuleDefault]:
    rules: list[policy.RuleDefault] = list(base.BASE_RULES)
    for module in MODULES:
        rules.extend(module.RULES)
    return rules
