"""Policy defaults of the compute service, with Nova's rule names and defaults.

Nova's base rules that other services already register with the same
meaning (``admin_api``, ``project_reader_api``, ``service_api``...) are not
registered twice; the rest of Nova's base set is registered here.
"""

from __future__ import annotations

from oslo_policy import policy

ADMIN = "rule:context_is_admin"
PROJECT_READER_OR_ADMIN = "rule:project_reader_or_admin"
PROJECT_MEMBER_OR_ADMIN = "rule:project_member_or_admin"
ADMIN_OR_KEYPAIR_OWNER = "(rule:context_is_admin) or user_id:%(user_id)s"

BASE_RULES = [
    policy.RuleDefault("context_is_admin", "role:admin",
                       description="Decides what is required for the 'is_admin:True' "
                       "check to succeed."),
    policy.RuleDefault("project_manager_api", "role:manager and project_id:%(project_id)s",
                       description="Default rule for Project level management APIs."),
    policy.RuleDefault("project_member_api", "role:member and project_id:%(project_id)s",
                       description="Default rule for Project level non admin APIs."),
    policy.RuleDefault("project_manager_or_admin",
                       "rule:project_manager_api or rule:context_is_admin",
                       description="Default rule for Project Manager or admin APIs."),
    policy.RuleDefault("project_member_or_admin",
                       "rule:project_member_api or rule:context_is_admin",
                       description="Default rule for Project Member or admin APIs."),
    policy.RuleDefault("project_reader_or_admin",
                       "rule:project_reader_api or rule:context_is_admin",
                       description="Default rule for Project reader or admin APIs."),
]


def _rule(name: str, check: str, description: str,
          ops: list[tuple[str, str]]) -> policy.DocumentedRuleDefault:
    return policy.DocumentedRuleDefault(
        name=f"os_compute_api:{name}", check_str=check, description=description,
        operations=[{"method": m, "path": p} for m, p in ops], scope_types=["project"])


_FLAVOR = "/flavors/{flavor_id}"
_SPECS = _FLAVOR + "/os-extra_specs"

FLAVOR_RULES = [
    _rule("os-flavor-manage:create", ADMIN, "Create a flavor.", [("POST", "/flavors")]),
    _rule("os-flavor-manage:update", ADMIN, "Update a flavor's description.",
          [("PUT", _FLAVOR)]),
    _rule("os-flavor-manage:delete", ADMIN, "Delete a flavor.", [("DELETE", _FLAVOR)]),
    _rule("os-flavor-extra-specs:index", PROJECT_READER_OR_ADMIN,
          "List a flavor's extra specs; also decides whether flavor bodies carry them "
          "(2.61).",
          [("GET", _SPECS), ("POST", "/flavors"), ("GET", "/flavors/detail"),
           ("GET", _FLAVOR), ("PUT", _FLAVOR)]),
    _rule("os-flavor-extra-specs:show", PROJECT_READER_OR_ADMIN,
          "Show one extra spec of a flavor.", [("GET", _SPECS + "/{flavor_extra_spec_key}")]),
    _rule("os-flavor-extra-specs:create", ADMIN, "Add or replace extra specs of a flavor.",
          [("POST", _SPECS)]),
    _rule("os-flavor-extra-specs:update", ADMIN, "Set one extra spec of a flavor.",
          [("PUT", _SPECS + "/{flavor_extra_spec_key}")]),
    _rule("os-flavor-extra-specs:delete", ADMIN, "Delete one extra spec of a flavor.",
          [("DELETE", _SPECS + "/{flavor_extra_spec_key}")]),
    _rule("os-flavor-access", ADMIN, "List the projects a private flavor is shared with.",
          [("GET", _FLAVOR + "/os-flavor-access")]),
    _rule("os-flavor-access:add_tenant_access", ADMIN, "Share a private flavor with a project.",
          [("POST", _FLAVOR + "/action (addTenantAccess)")]),
    _rule("os-flavor-access:remove_tenant_access", ADMIN,
          "Stop sharing a private flavor with a project.",
          [("POST", _FLAVOR + "/action (removeTenantAccess)")]),
]

_KEYPAIR = "/os-keypairs/{keypair_name}"

KEYPAIR_RULES = [
    _rule("os-keypairs:index", ADMIN_OR_KEYPAIR_OWNER, "List a user's key pairs.",
          [("GET", "/os-keypairs")]),
    _rule("os-keypairs:create", ADMIN_OR_KEYPAIR_OWNER, "Create or import a key pair.",
          [("POST", "/os-keypairs")]),
    _rule("os-keypairs:delete", ADMIN_OR_KEYPAIR_OWNER, "Delete a key pair.",
          [("DELETE", _KEYPAIR)]),
    _rule("os-keypairs:show", ADMIN_OR_KEYPAIR_OWNER, "Show a key pair.", [("GET", _KEYPAIR)]),
]


_SERVER = "/servers/{server_id}"

SERVER_RULES = [
    _rule("servers:index", PROJECT_READER_OR_ADMIN, "List servers.", [("GET", "/servers")]),
    _rule("servers:detail", PROJECT_READER_OR_ADMIN, "List servers with details.",
          [("GET", "/servers/detail")]),
    _rule("servers:index:get_all_tenants", ADMIN, "List the servers of every project.",
          [("GET", "/servers")]),
    _rule("servers:detail:get_all_tenants", ADMIN,
          "List the servers of every project with details.", [("GET", "/servers/detail")]),
    _rule("servers:allow_all_filters", ADMIN, "Filter server lists by any field.",
          [("GET", "/servers"), ("GET", "/servers/detail")]),
    _rule("servers:show", PROJECT_READER_OR_ADMIN, "Show a server.", [("GET", _SERVER)]),
    _rule("servers:show:host_status", ADMIN,
          "See the state of a server's host in its body (2.16).",
          [("GET", _SERVER), ("GET", "/servers/detail"), ("PUT", _SERVER),
           ("POST", _SERVER + "/action (rebuild)")]),
    _rule("servers:create", PROJECT_MEMBER_OR_ADMIN, "Create a server.",
          [("POST", "/servers")]),
    _rule("servers:create:forced_host", ADMIN,
          "Create a server on a host named in its availability zone.",
          [("POST", "/servers")]),
    _rule("servers:create:attach_network", PROJECT_MEMBER_OR_ADMIN,
          "Create a server with named networks or ports.", [("POST", "/servers")]),
    _rule("servers:create:attach_volume", PROJECT_MEMBER_OR_ADMIN,
          "Create a server with block device mappings.", [("POST", "/servers")]),
    _rule("servers:update", PROJECT_MEMBER_OR_ADMIN, "Update a server.", [("PUT", _SERVER)]),
    _rule("servers:delete", PROJECT_MEMBER_OR_ADMIN, "Delete a server.",
          [("DELETE", _SERVER)]),
    _rule("os-extended-server-attributes", ADMIN,
          "See a server's host, hypervisor and instance name in its body.",
          [("GET", _SERVER), ("GET", "/servers/detail"), ("PUT", _SERVER),
           ("POST", _SERVER + "/action (rebuild)")]),
    policy.DocumentedRuleDefault(
        name="compute:servers:create:requested_destination", check_str=ADMIN,
        description="Create a server on a host or node named in the request (2.74).",
        operations=[{"method": "POST", "path": "/servers"}], scope_types=["project"]),
]


def list_rules() -> list[policy.RuleDefault]:
    return BASE_RULES + FLAVOR_RULES + KEYPAIR_RULES + SERVER_RULES
