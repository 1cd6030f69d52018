"""The identity route table: path -> {method: handler}."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from nimbus.common.api.app import Request
from nimbus.identity.api.handlers import (
    app_creds,
    catalog,
    consumers,
    credentials,
    domain_configs,
    domains,
    endpoint_groups,
    grants,
    groups,
    projects,
    role_assignments,
    roles,
    tokens,
    users,
    versions,
)

Handler = Callable[[Request], Response]

ROUTES: dict[str, dict[str, Handler]] = {
    "/": {"GET": versions.list_versions},
    "/v3": {"GET": versions.show_v3},
    "/v3/auth/tokens": {
        "POST": tokens.issue_token, "GET": tokens.validate_token,
        "HEAD": tokens.validate_token, "DELETE": tokens.revoke_token,
    },
    "/v3/auth/catalog": {"GET": tokens.auth_catalog},
    "/v3/auth/projects": {"GET": tokens.auth_projects},
    "/v3/auth/domains": {"GET": tokens.auth_domains},
    "/v3/auth/system": {"GET": tokens.auth_system},
    "/v3/domains": {"GET": domains.list_domains, "POST": domains.create_domain},
    **domain_configs.routes(),
    "/v3/domains/{domain_id}": {
        "GET": domains.show_domain, "PATCH": domains.update_domain,
        "DELETE": domains.delete_domain,
    },
    "/v3/projects": {"GET": projects.list_projects, "POST": projects.create_project},
    "/v3/projects/{project_id}": {
        "GET": projects.show_project, "PATCH": projects.update_project,
        "DELETE": projects.delete_project,
    },
    "/v3/projects/{project_id}/tags": {
        "GET": projects.list_tags, "PUT": projects.replace_tags, "DELETE": projects.delete_tags,
    },
    "/v3/projects/{project_id}/tags/{tag}": {
        "GET": projects.check_tag, "PUT": projects.add_tag, "DELETE": projects.delete_tag,
    },
    "/v3/users": {"GET": users.list_users, "POST": users.create_user},
    "/v3/users/{user_id}": {
        "GET": users.show_user, "PATCH": users.update_user, "DELETE": users.delete_user,
    },
    "/v3/users/{user_id}/password": {"POST": users.change_password},
    "/v3/users/{user_id}/groups": {"GET": users.list_user_groups},
    "/v3/users/{user_id}/projects": {"GET": users.list_user_projects},
    "/v3/users/{user_id}/application_credentials": {
        "GET": app_creds.list_app_creds, "POST": app_creds.create_app_cred,
    },
    "/v3/users/{user_id}/application_credentials/{application_credential_id}": {
        "GET": app_creds.show_app_cred, "DELETE": app_creds.delete_app_cred,
    },
    "/v3/users/{user_id}/access_rules": {"GET": app_creds.list_access_rules},
    "/v3/users/{user_id}/access_rules/{access_rule_id}": {
        "GET": app_creds.show_access_rule, "DELETE": app_creds.delete_access_rule,
    },
    "/v3/users/{user_id}/credentials/OS-EC2": {
        "GET": credentials.list_ec2, "POST": credentials.create_ec2,
    },
    "/v3/users/{user_id}/credentials/OS-EC2/{credential_id}": {
        "GET": credentials.show_ec2, "DELETE": credentials.delete_ec2,
    },
    "/v3/credentials": {"GET": credentials.list_credentials, "POST": credentials.create_credential},
    "/v3/credentials/{credential_id}": {
        "GET": credentials.show_credential, "PATCH": credentials.update_credential,
        "DELETE": credentials.delete_credential,
    },
    "/v3/groups": {"GET": groups.list_groups, "POST": groups.create_group},
    "/v3/groups/{group_id}": {
        "GET": groups.show_group, "PATCH": groups.update_group, "DELETE": groups.delete_group,
    },
    "/v3/groups/{group_id}/users": {"GET": groups.list_members},
    "/v3/groups/{group_id}/users/{user_id}": {
        "PUT": groups.add_member, "HEAD": groups.check_member, "GET": groups.check_member,
        "DELETE": groups.remove_member,
    },
    "/v3/roles": {"GET": roles.list_roles, "POST": roles.create_role},
    "/v3/roles/{role_id}": {
        "GET": roles.show_role, "PATCH": roles.update_role, "DELETE": roles.delete_role,
    },
    "/v3/roles/{prior_role_id}/implies": {"GET": roles.list_implied},
    "/v3/roles/{prior_role_id}/implies/{implied_role_id}": {
        "PUT": roles.create_implied, "GET": roles.show_implied, "HEAD": roles.show_implied,
        "DELETE": roles.delete_implied,
    },
    "/v3/role_inferences": {"GET": roles.list_inferences},
    "/v3/role_assignments": {"GET": role_assignments.list_role_assignments},
    **grants.routes(),
    **catalog.routes(),
    **endpoint_groups.routes(),
    "/v3/OS-OAUTH1/consumers": {
        "GET": consumers.list_consumers, "POST": consumers.create_consumer,
    },
    "/v3/OS-OAUTH1/consumers/{consumer_id}": {
        "GET": consumers.show_consumer, "PATCH": consumers.update_consumer,
        "DELETE": consumers.delete_consumer,
    },
}
