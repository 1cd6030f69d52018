"""Policy defaults of the identity service, with Keystone's rule names.

The check strings give the same answers as Keystone's current defaults:
admins may do everything; system readers may read everything; domain
readers and managers act inside their domain; users act on themselves.
They are composed here from the pieces below rather than written out.
"""

from __future__ import annotations

from oslo_policy import policy

ADMIN = "rule:admin_required"
SYSTEM_READER = "role:reader and system_scope:all"
SYSTEM_ADMIN = "role:admin and system_scope:all"
ADMIN_OR_SYSTEM_READER = f"{ADMIN} or ({SYSTEM_READER})"
ALL_SCOPES = ["system", "domain", "project"]
SYSTEM_OR_PROJECT = ["system", "project"]


def _any(*checks: str) -> str:
    return " or ".join(f"({c})" for c in checks)


def _in_domain(role: str, attr: str) -> str:
    """`role` held on the domain named by target attribute `attr`."""
    return f"role:{role} and domain_id:%(target.{attr})s"


def _in_own_domain(role: str, attr: str) -> str:
    """As _in_domain, never matching a target without a domain."""
    return f"{_in_domain(role, attr)} and not None:%(target.{attr})s"


# Actor and target in the same domain as a domain-scoped token, for grants.
def _grant_in_domain(role: str) -> str:
    return " or ".join(
        f"(role:{role} and domain_id:%(target.{actor}.domain_id)s and "
        f"domain_id:%(target.{target})s)"
        for actor in ("user", "group")
        for target in ("project.domain_id", "domain.id")
    )


_ROLE_IN_DOMAIN = "domain_id:%(target.role.domain_id)s or None:%(target.role.domain_id)s"

BASE_RULES = [
    policy.RuleDefault("admin_required", "role:admin or is_admin:1",
                       description="Held by admins."),
    policy.RuleDefault("service_role", "role:service",
                       description="Held by the service users of other services."),
    policy.RuleDefault("service_or_admin", "rule:admin_required or rule:service_role"),
    policy.RuleDefault("owner", "user_id:%(user_id)s",
                       description="The user the request's URL names."),
    policy.RuleDefault("admin_or_owner", "rule:admin_required or rule:owner"),
    policy.RuleDefault("token_subject", "user_id:%(target.token.user_id)s",
                       description="The user a token belongs to."),
    policy.RuleDefault("admin_or_token_subject", "rule:admin_required or rule:token_subject"),
    policy.RuleDefault("service_admin_or_token_subject",
                       "rule:service_or_admin or rule:token_subject"),
    policy.RuleDefault(
        "domain_managed_target_role",
        "'manager':%(target.role.name)s or 'member':%(target.role.name)s or "
        "'reader':%(target.role.name)s",
        description="Roles a domain manager may grant and revoke.",
    ),
]


def _rule(
    name: str, check: str, description: str, ops: list[tuple[str, str]],
    scopes: list[str] | None = ALL_SCOPES,
) -> policy.DocumentedRuleDefault:
    return policy.DocumentedRuleDefault(
        name=f"identity:{name}",
        check_str=check,
        description=description,
        operations=[{"method": m, "path": p} for m, p in ops],
        scope_types=scopes,
    )


def _crud(noun: str, path: str, read: str, write: str, scopes: list[str],
          write_scopes: list[str] | None = None, plural: str | None = None) -> list[policy.DocumentedRuleDefault]:
    plural = plural or f"{noun}s"
    item = f"{path}/{{{noun}_id}}"
    write_scopes = write_scopes or scopes
    return [
        _rule(f"get_{noun}", read, f"Show a {noun}.", [("GET", item), ("HEAD", item)], scopes),
        _rule(f"list_{plural}", read, f"List {plural}.", [("GET", path), ("HEAD", path)], scopes),
        _rule(f"create_{noun}", write, f"Create a {noun}.", [("POST", path)], write_scopes),
        _rule(f"update_{noun}", write, f"Update a {noun}.", [("PATCH", item)], write_scopes),
        _rule(f"delete_{noun}", write, f"Delete a {noun}.", [("DELETE", item)], write_scopes),
    ]


# -- tokens and auth -----------------------------------------------------------

TOKEN_RULES = [
    _rule("check_token", f"{ADMIN} or ({SYSTEM_READER}) or rule:token_subject",
          "Check that a token is valid.", [("HEAD", "/v3/auth/tokens")]),
    _rule("validate_token",
          f"{ADMIN} or ({SYSTEM_READER}) or rule:service_role or rule:token_subject",
          "Validate a token.", [("GET", "/v3/auth/tokens")]),
    _rule("revoke_token", f"{ADMIN} or rule:token_subject",
          "Revoke a token.", [("DELETE", "/v3/auth/tokens")]),
    _rule("get_auth_catalog", "", "The catalog of the caller's token.",
          [("GET", "/v3/auth/catalog")], None),
    _rule("get_auth_projects", "", "Projects the caller may scope to.",
          [("GET", "/v3/auth/projects")], None),
    _rule("get_auth_domains", "", "Domains the caller may scope to.",
          [("GET", "/v3/auth/domains")], None),
    _rule("get_auth_system", "", "Whether the caller may scope to the system.",
          [("GET", "/v3/auth/system")], None),
    _rule("list_projects_for_user", "", "Projects of the caller (old path).",
          [("GET", "/v3/OS-FEDERATION/projects")], None),
    _rule("list_domains_for_user", "", "Domains of the caller (old path).",
          [("GET", "/v3/OS-FEDERATION/domains")], None),
    _rule("revocation_list", "rule:service_or_admin", "List revocation events.",
          [("GET", "/v3/OS-REVOKE/events")], SYSTEM_OR_PROJECT),
]

# -- domains, projects, tags ---------------------------------------------------

_PROJECT_READ = _any(ADMIN, SYSTEM_READER,
                     _in_own_domain("reader", "project.domain_id"),
                     "project_id:%(target.project.id)s")
_PROJECT_WRITE = _any(ADMIN, _in_own_domain("manager", "project.domain_id"))

RESOURCE_RULES = [
    _rule("get_domain",
          f"{ADMIN} or ({SYSTEM_READER}) or token.domain.id:%(target.domain.id)s "
          "or token.project.domain.id:%(target.domain.id)s",
          "Show a domain.", [("GET", "/v3/domains/{domain_id}")]),
    _rule("list_domains", f"{ADMIN} or ({SYSTEM_READER}) or ({_in_domain('reader', 'domain.id')})",
          "List domains.", [("GET", "/v3/domains")]),
    _rule("create_domain", ADMIN, "Create a domain.", [("POST", "/v3/domains")],
          SYSTEM_OR_PROJECT),
    _rule("update_domain", ADMIN, "Update a domain.", [("PATCH", "/v3/domains/{domain_id}")],
          SYSTEM_OR_PROJECT),
    _rule("delete_domain", ADMIN, "Delete a domain.", [("DELETE", "/v3/domains/{domain_id}")],
          SYSTEM_OR_PROJECT),
    _rule("get_project", _PROJECT_READ, "Show a project.", [("GET", "/v3/projects/{project_id}")]),
    _rule("list_projects", _any(ADMIN, SYSTEM_READER, _in_domain("reader", "domain_id")),
          "List projects.", [("GET", "/v3/projects")]),
    _rule("list_user_projects",
          _any(ADMIN, SYSTEM_READER, _in_domain("reader", "user.domain_id"),
               "user_id:%(target.user.id)s"),
          "List the projects of a user.", [("GET", "/v3/users/{user_id}/projects")]),
    _rule("create_project", _PROJECT_WRITE, "Create a project.", [("POST", "/v3/projects")]),
    _rule("update_project", _PROJECT_WRITE, "Update a project.",
          [("PATCH", "/v3/projects/{project_id}")]),
    _rule("delete_project", _PROJECT_WRITE, "Delete a project.",
          [("DELETE", "/v3/projects/{project_id}")]),
    _rule("list_project_tags", _PROJECT_READ, "List the tags of a project.",
          [("GET", "/v3/projects/{project_id}/tags")]),
    _rule("get_project_tag", _PROJECT_READ, "Check a tag of a project.",
          [("GET", "/v3/projects/{project_id}/tags/{value}")]),
    _rule("update_project_tags", _PROJECT_WRITE, "Replace the tags of a project.",
          [("PUT", "/v3/projects/{project_id}/tags")]),
    _rule("create_project_tag", _PROJECT_WRITE, "Add a tag to a project.",
          [("PUT", "/v3/projects/{project_id}/tags/{value}")]),
    _rule("delete_project_tags", _PROJECT_WRITE, "Remove every tag of a project.",
          [("DELETE", "/v3/projects/{project_id}/tags")]),
    _rule("delete_project_tag", _PROJECT_WRITE, "Remove a tag of a project.",
          [("DELETE", "/v3/projects/{project_id}/tags/{value}")]),
]

# -- users and groups ----------------------------------------------------------

_USER_WRITE = _any(ADMIN, "role:manager and token.domain.id:%(target.user.domain_id)s")
_GROUP_READ = _any(ADMIN, SYSTEM_READER, _in_domain("reader", "group.domain_id"))
_GROUP_WRITE = _any(ADMIN, _in_domain("manager", "group.domain_id"))
_MEMBERSHIP_WRITE = _any(
    ADMIN, f"{_in_domain('manager', 'group.domain_id')} and domain_id:%(target.user.domain_id)s")

USER_RULES = [
    _rule("get_user",
          _any(ADMIN, SYSTEM_READER, "role:reader and token.domain.id:%(target.user.domain_id)s",
               "user_id:%(target.user.id)s"),
          "Show a user.", [("GET", "/v3/users/{user_id}")]),
    _rule("list_users", _any(ADMIN, SYSTEM_READER, _in_domain("reader", "domain_id")),
          "List users.", [("GET", "/v3/users")]),
    _rule("create_user", _USER_WRITE, "Create a user.", [("POST", "/v3/users")]),
    _rule("update_user", _USER_WRITE, "Update a user.", [("PATCH", "/v3/users/{user_id}")]),
    _rule("delete_user", _USER_WRITE, "Delete a user.", [("DELETE", "/v3/users/{user_id}")]),
    _rule("revoke_tokens_for_user", "rule:admin_or_owner", "Revoke every token of a user.",
          [("POST", "/v3/users/{user_id}/password")]),
    _rule("get_group", _GROUP_READ, "Show a group.", [("GET", "/v3/groups/{group_id}")]),
    _rule("list_groups", _GROUP_READ, "List groups.", [("GET", "/v3/groups")]),
    _rule("list_groups_for_user",
          _any(ADMIN, SYSTEM_READER, _in_domain("reader", "user.domain_id"),
               "user_id:%(user_id)s"),
          "List the groups of a user.", [("GET", "/v3/users/{user_id}/groups")]),
    _rule("create_group", _GROUP_WRITE, "Create a group.", [("POST", "/v3/groups")]),
    _rule("update_group", _GROUP_WRITE, "Update a group.", [("PATCH", "/v3/groups/{group_id}")]),
    _rule("delete_group", _GROUP_WRITE, "Delete a group.", [("DELETE", "/v3/groups/{group_id}")]),
    _rule("list_users_in_group", _GROUP_READ, "List the members of a group.",
          [("GET", "/v3/groups/{group_id}/users")]),
    _rule("check_user_in_group",
          _any(ADMIN, SYSTEM_READER,
               f"{_in_domain('reader', 'group.domain_id')} and domain_id:%(target.user.domain_id)s"),
          "Check that a user is in a group.",
          [("HEAD", "/v3/groups/{group_id}/users/{user_id}")]),
    _rule("add_user_to_group", _MEMBERSHIP_WRITE, "Add a user to a group.",
          [("PUT", "/v3/groups/{group_id}/users/{user_id}")]),
    _rule("remove_user_from_group", _MEMBERSHIP_WRITE, "Remove a user from a group.",
          [("DELETE", "/v3/groups/{group_id}/users/{user_id}")]),
]

# -- roles, grants, assignments --------------------------------------------------

_GRANT_TARGETS = [
    "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}",
    "/v3/projects/{project_id}/groups/{group_id}/roles/{role_id}",
    "/v3/domains/{domain_id}/users/{user_id}/roles/{role_id}",
    "/v3/domains/{domain_id}/groups/{group_id}/roles/{role_id}",
]
_GRANT_WRITE = (
    f"({ADMIN}) or (({_grant_in_domain('admin')}) and ({_ROLE_IN_DOMAIN}) or "
    f"(({_grant_in_domain('manager')}) and rule:domain_managed_target_role))"
)

ROLE_RULES = [
    _rule("get_role",
          f"({ADMIN_OR_SYSTEM_READER}) or (role:manager and rule:domain_managed_target_role)",
          "Show a role.", [("GET", "/v3/roles/{role_id}")]),
    _rule("list_roles", f"({ADMIN_OR_SYSTEM_READER}) or (role:manager and not domain_id:None)",
          "List roles.", [("GET", "/v3/roles")]),
    _rule("create_role", ADMIN, "Create a role.", [("POST", "/v3/roles")], SYSTEM_OR_PROJECT),
    _rule("update_role", ADMIN, "Update a role.", [("PATCH", "/v3/roles/{role_id}")],
          SYSTEM_OR_PROJECT),
    _rule("delete_role", ADMIN, "Delete a role.", [("DELETE", "/v3/roles/{role_id}")],
          SYSTEM_OR_PROJECT),
    _rule("get_domain_role", ADMIN_OR_SYSTEM_READER, "Show a domain-specific role.",
          [("GET", "/v3/roles/{role_id}")], SYSTEM_OR_PROJECT),
    _rule("list_domain_roles", ADMIN_OR_SYSTEM_READER, "List the roles of a domain.",
          [("GET", "/v3/roles?domain_id={domain_id}")], SYSTEM_OR_PROJECT),
    _rule("create_domain_role", ADMIN, "Create a domain-specific role.",
          [("POST", "/v3/roles")], SYSTEM_OR_PROJECT),
    _rule("update_domain_role", ADMIN, "Update a domain-specific role.",
          [("PATCH", "/v3/roles/{role_id}")], SYSTEM_OR_PROJECT),
    _rule("delete_domain_role", ADMIN, "Delete a domain-specific role.",
          [("DELETE", "/v3/roles/{role_id}")], SYSTEM_OR_PROJECT),
    _rule("get_implied_role", ADMIN_OR_SYSTEM_READER, "Show a role implication.",
          [("GET", "/v3/roles/{prior_role_id}/implies/{implied_role_id}")], SYSTEM_OR_PROJECT),
    _rule("list_implied_roles", ADMIN_OR_SYSTEM_READER, "List the roles a role implies.",
          [("GET", "/v3/roles/{prior_role_id}/implies")], SYSTEM_OR_PROJECT),
    _rule("create_implied_role", ADMIN, "Make a role imply another.",
          [("PUT", "/v3/roles/{prior_role_id}/implies/{implied_role_id}")], SYSTEM_OR_PROJECT),
    _rule("delete_implied_role", ADMIN, "Remove a role implication.",
          [("DELETE", "/v3/roles/{prior_role_id}/implies/{implied_role_id}")],
          SYSTEM_OR_PROJECT),
    _rule("check_implied_role", ADMIN_OR_SYSTEM_READER, "Check a role implication.",
          [("HEAD", "/v3/roles/{prior_role_id}/implies/{implied_role_id}")], SYSTEM_OR_PROJECT),
    _rule("list_role_inference_rules", ADMIN_OR_SYSTEM_READER, "List every role implication.",
          [("GET", "/v3/role_inferences")], SYSTEM_OR_PROJECT),
    _rule("check_grant",
          f"({ADMIN}) or (({SYSTEM_READER}) or ({_grant_in_domain('reader')}) and "
          f"({_ROLE_IN_DOMAIN}))",
          "Check a grant.", [("HEAD", p) for p in _GRANT_TARGETS]),
    _rule("list_grants", f"({ADMIN}) or (({SYSTEM_READER}) or {_grant_in_domain('reader')})",
          "List the roles granted to a user or group on a target.",
          [("GET", p.rsplit("/", 1)[0]) for p in _GRANT_TARGETS]),
    _rule("create_grant", _GRANT_WRITE, "Grant a role.", [("PUT", p) for p in _GRANT_TARGETS]),
    _rule("revoke_grant", _GRANT_WRITE, "Revoke a grant.",
          [("DELETE", p) for p in _GRANT_TARGETS]),
    _rule("list_role_assignments",
          _any(ADMIN, SYSTEM_READER, _in_own_domain("reader", "domain_id")),
          "List role assignments.", [("GET", "/v3/role_assignments")]),
    _rule("list_role_assignments_for_tree",
          _any(ADMIN, SYSTEM_READER, _in_own_domain("reader", "domain_id")),
          "List role assignments of a project tree.",
          [("GET", "/v3/role_assignments?include_subtree")]),
]
for _actor in ("user", "group"):
    _path = f"/v3/system/{_actor}s/{{{_actor}_id}}/roles"
    ROLE_RULES += [
        _rule(f"list_system_grants_for_{_actor}", ADMIN_OR_SYSTEM_READER,
              f"List the system roles of a {_actor}.", [("GET", _path)], SYSTEM_OR_PROJECT),
        _rule(f"check_system_grant_for_{_actor}", ADMIN_OR_SYSTEM_READER,
              f"Check a system role of a {_actor}.", [("HEAD", _path + "/{role_id}")],
              SYSTEM_OR_PROJECT),
        _rule(f"create_system_grant_for_{_actor}", ADMIN,
              f"Grant a system role to a {_actor}.", [("PUT", _path + "/{role_id}")],
              SYSTEM_OR_PROJECT),
        _rule(f"revoke_system_grant_for_{_actor}", ADMIN,
              f"Revoke a system role of a {_actor}.", [("DELETE", _path + "/{role_id}")],
              SYSTEM_OR_PROJECT),
    ]

# -- catalog -------------------------------------------------------------------

CATALOG_RULES = (
    _crud("region", "/v3/regions", "", ADMIN, ALL_SCOPES, SYSTEM_OR_PROJECT)
    + _crud("service", "/v3/services", ADMIN_OR_SYSTEM_READER, ADMIN, SYSTEM_OR_PROJECT)
    + _crud("endpoint", "/v3/endpoints", ADMIN_OR_SYSTEM_READER, ADMIN, SYSTEM_OR_PROJECT)
    + _crud("policy", "/v3/policies", ADMIN_OR_SYSTEM_READER, ADMIN, SYSTEM_OR_PROJECT,
            plural="policies")
)

# -- credentials -----------------------------------------------------------------

_CRED_OWNER = "user_id:%(target.credential.user_id)s"
_APP_CRED_PATH = "/v3/users/{user_id}/application_credentials"
_EC2_PATH = "/v3/users/{user_id}/credentials/OS-EC2"

CREDENTIAL_RULES = [
    _rule("get_credential", _any(ADMIN, SYSTEM_READER, _CRED_OWNER), "Show a credential.",
          [("GET", "/v3/credentials/{credential_id}")]),
    _rule("list_credentials", _any(ADMIN, SYSTEM_READER, _CRED_OWNER), "List credentials.",
          [("GET", "/v3/credentials")]),
    _rule("create_credential", _any(ADMIN, _CRED_OWNER), "Create a credential.",
          [("POST", "/v3/credentials")]),
    _rule("update_credential", _any(ADMIN, _CRED_OWNER), "Update a credential.",
          [("PATCH", "/v3/credentials/{credential_id}")]),
    _rule("delete_credential", _any(ADMIN, _CRED_OWNER), "Delete a credential.",
          [("DELETE", "/v3/credentials/{credential_id}")]),
    _rule("ec2_get_credential", _any(ADMIN, SYSTEM_READER, _CRED_OWNER),
          "Show an EC2 credential.", [("GET", _EC2_PATH + "/{credential_id}")],
          SYSTEM_OR_PROJECT),
    _rule("ec2_list_credentials", _any(ADMIN, SYSTEM_READER, "rule:owner"),
          "List EC2 credentials.", [("GET", _EC2_PATH)], SYSTEM_OR_PROJECT),
    _rule("ec2_create_credential", _any(ADMIN, f"role:member and {_CRED_OWNER}"),
          "Create an EC2 credential.", [("POST", _EC2_PATH)], SYSTEM_OR_PROJECT),
    _rule("ec2_delete_credential", _any(ADMIN, f"role:member and {_CRED_OWNER}"),
          "Delete an EC2 credential.", [("DELETE", _EC2_PATH + "/{credential_id}")],
          SYSTEM_OR_PROJECT),
    _rule("get_application_credential", _any(ADMIN, SYSTEM_READER, "rule:owner"),
          "Show an application credential.",
          [("GET", _APP_CRED_PATH + "/{application_credential_id}")], SYSTEM_OR_PROJECT),
    _rule("list_application_credentials", _any(ADMIN, SYSTEM_READER, "rule:owner"),
          "List application credentials.", [("GET", _APP_CRED_PATH)], SYSTEM_OR_PROJECT),
    _rule("create_application_credential", "user_id:%(user_id)s",
          "Create an application credential.", [("POST", _APP_CRED_PATH)], ["project"]),
    _rule("delete_application_credential", "rule:admin_or_owner",
          "Delete an application credential.",
          [("DELETE", _APP_CRED_PATH + "/{application_credential_id}")], SYSTEM_OR_PROJECT),
    _rule("get_access_rule", f"({SYSTEM_READER}) or user_id:%(target.user.id)s",
          "Show an access rule.", [("GET", "/v3/users/{user_id}/access_rules/{access_rule_id}")],
          SYSTEM_OR_PROJECT),
    _rule("list_access_rules", f"({SYSTEM_READER}) or user_id:%(target.user.id)s",
          "List access rules.", [("GET", "/v3/users/{user_id}/access_rules")],
          SYSTEM_OR_PROJECT),
    _rule("delete_access_rule", f"({SYSTEM_ADMIN}) or user_id:%(target.user.id)s",
          "Delete an access rule.",
          [("DELETE", "/v3/users/{user_id}/access_rules/{access_rule_id}")], SYSTEM_OR_PROJECT),
]


# -- extensions: OS-EP-FILTER, OS-OAUTH1 consumers, domain configuration -----------

_EP = "/v3/OS-EP-FILTER"
_EP_GROUP = _EP + "/endpoint_groups/{endpoint_group_id}"
_EP_PROJECT_ENDPOINT = _EP + "/projects/{project_id}/endpoints/{endpoint_id}"
_CONSUMERS = "/v3/OS-OAUTH1/consumers"
_DOMAIN_CONFIG = "/v3/domains/{domain_id}/config"
_CONFIG_PATHS = [_DOMAIN_CONFIG, _DOMAIN_CONFIG + "/{group}", _DOMAIN_CONFIG + "/{group}/{option}"]
_DEFAULT_PATHS = ["/v3/domains/config/default", "/v3/domains/config/{group}/default",
                  "/v3/domains/config/{group}/{option}/default"]
_COMPLIANCE = _DOMAIN_CONFIG + "/security_compliance"

EXTENSION_RULES = [
    _rule("create_endpoint_group", ADMIN, "Create an endpoint group.",
          [("POST", _EP + "/endpoint_groups")], SYSTEM_OR_PROJECT),
    _rule("list_endpoint_groups", ADMIN_OR_SYSTEM_READER, "List endpoint groups.",
          [("GET", _EP + "/endpoint_groups")], SYSTEM_OR_PROJECT),
    _rule("get_endpoint_group", ADMIN_OR_SYSTEM_READER, "Show an endpoint group.",
          [("GET", _EP_GROUP), ("HEAD", _EP_GROUP)], SYSTEM_OR_PROJECT),
    _rule("update_endpoint_group", ADMIN, "Update an endpoint group.",
          [("PATCH", _EP_GROUP)], SYSTEM_OR_PROJECT),
    _rule("delete_endpoint_group", ADMIN, "Delete an endpoint group.",
          [("DELETE", _EP_GROUP)], SYSTEM_OR_PROJECT),
    _rule("list_projects_associated_with_endpoint_group", ADMIN_OR_SYSTEM_READER,
          "List the projects of an endpoint group.", [("GET", _EP_GROUP + "/projects")],
          SYSTEM_OR_PROJECT),
    _rule("list_endpoints_associated_with_endpoint_group", ADMIN_OR_SYSTEM_READER,
          "List the endpoints an endpoint group selects.",
          [("GET", _EP_GROUP + "/endpoints")], SYSTEM_OR_PROJECT),
    _rule("get_endpoint_group_in_project", ADMIN_OR_SYSTEM_READER,
          "Check that an endpoint group is associated with a project.",
          [("GET", _EP_GROUP + "/projects/{project_id}"),
           ("HEAD", _EP_GROUP + "/projects/{project_id}")], SYSTEM_OR_PROJECT),
    _rule("list_endpoint_groups_for_project", ADMIN_OR_SYSTEM_READER,
          "List the endpoint groups of a project.",
          [("GET", _EP + "/projects/{project_id}/endpoint_groups")], SYSTEM_OR_PROJECT),
    _rule("add_endpoint_group_to_project", ADMIN, "Associate an endpoint group with a project.",
          [("PUT", _EP_GROUP + "/projects/{project_id}")], SYSTEM_OR_PROJECT),
    _rule("remove_endpoint_group_from_project", ADMIN,
          "Remove an endpoint group from a project.",
          [("DELETE", _EP_GROUP + "/projects/{project_id}")], SYSTEM_OR_PROJECT),
    _rule("list_projects_for_endpoint", ADMIN_OR_SYSTEM_READER,
          "List the projects an endpoint is associated with.",
          [("GET", _EP + "/endpoints/{endpoint_id}/projects")], SYSTEM_OR_PROJECT),
    _rule("add_endpoint_to_project", ADMIN, "Associate an endpoint with a project.",
          [("PUT", _EP_PROJECT_ENDPOINT)], SYSTEM_OR_PROJECT),
    _rule("check_endpoint_in_project", ADMIN_OR_SYSTEM_READER,
          "Check that an endpoint is associated with a project.",
          [("GET", _EP_PROJECT_ENDPOINT), ("HEAD", _EP_PROJECT_ENDPOINT)], SYSTEM_OR_PROJECT),
    _rule("list_endpoints_for_project", ADMIN_OR_SYSTEM_READER,
          "List the endpoints of a project.",
          [("GET", _EP + "/projects/{project_id}/endpoints")], SYSTEM_OR_PROJECT),
    _rule("remove_endpoint_from_project", ADMIN, "Remove an endpoint from a project.",
          [("DELETE", _EP_PROJECT_ENDPOINT)], SYSTEM_OR_PROJECT),
    _rule("get_consumer", ADMIN_OR_SYSTEM_READER, "Show an OAuth1 consumer.",
          [("GET", _CONSUMERS + "/{consumer_id}")], SYSTEM_OR_PROJECT),
    _rule("list_consumers", ADMIN_OR_SYSTEM_READER, "List OAuth1 consumers.",
          [("GET", _CONSUMERS)], SYSTEM_OR_PROJECT),
    _rule("create_consumer", ADMIN, "Create an OAuth1 consumer.", [("POST", _CONSUMERS)],
          SYSTEM_OR_PROJECT),
    _rule("update_consumer", ADMIN, "Update an OAuth1 consumer.",
          [("PATCH", _CONSUMERS + "/{consumer_id}")], SYSTEM_OR_PROJECT),
    _rule("delete_consumer", ADMIN, "Delete an OAuth1 consumer.",
          [("DELETE", _CONSUMERS + "/{consumer_id}")], SYSTEM_OR_PROJECT),
    _rule("create_domain_config", ADMIN, "Set the whole configuration of a domain.",
          [("PUT", _DOMAIN_CONFIG)], SYSTEM_OR_PROJECT),
    _rule("get_domain_config", ADMIN_OR_SYSTEM_READER,
          "Show the configuration of a domain, a group or an option of it.",
          [(m, p) for p in _CONFIG_PATHS for m in ("GET", "HEAD")], SYSTEM_OR_PROJECT),
    _rule("get_security_compliance_domain_config", "",
          "Show the password rules of the default domain.",
          [(m, p) for p in (_COMPLIANCE, _COMPLIANCE + "/{option}") for m in ("GET", "HEAD")]),
    _rule("update_domain_config", ADMIN,
          "Update the configuration of a domain, a group or an option of it.",
          [("PATCH", p) for p in _CONFIG_PATHS], SYSTEM_OR_PROJECT),
    _rule("delete_domain_config", ADMIN,
          "Delete the configuration of a domain, a group or an option of it.",
          [("DELETE", p) for p in _CONFIG_PATHS], SYSTEM_OR_PROJECT),
    _rule("get_domain_config_default", ADMIN_OR_SYSTEM_READER,
          "Show the configuration a domain has by default.",
          [(m, p) for p in _DEFAULT_PATHS for m in ("GET", "HEAD")], SYSTEM_OR_PROJECT),
]


def list_rules() -> list[policy.RuleDefault]:
    return (BASE_RULES + TOKEN_RULES + RESOURCE_RULES + USER_RULES + ROLE_RULES
            + CATALOG_RULES + CREDENTIAL_RULES + EXTENSION_RULES)
