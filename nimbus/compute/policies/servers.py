"""Servers: create, list, show, update, delete, and what their bodies reveal."""

from __future__ import annotations

from oslo_policy import policy

from nimbus.compute.policies.base import (
    ADMIN,
    PROJECT_MEMBER_OR_ADMIN,
    PROJECT_READER_OR_ADMIN,
    rule,
)

_SERVER = "/servers/{server_id}"

RULES = [
    rule("servers:index", PROJECT_READER_OR_ADMIN, "List servers.", [("GET", "/servers")]),
    rule("servers:detail", PROJECT_READER_OR_ADMIN, "List servers with details.",
          [("GET", "/servers/detail")]),
    rule("servers:index:get_all_tenants", ADMIN, "List the servers of every project.",
          [("GET", "/servers")]),
    rule("servers:detail:get_all_tenants", ADMIN,
          "List the servers of every project with details.", [("GET", "/servers/detail")]),
    rule("servers:allow_all_filters", ADMIN, "Filter server lists by any field.",
          [("GET", "/servers"), ("GET", "/servers/detail")]),
    rule("servers:show", PROJECT_READER_OR_ADMIN, "Show a server.", [("GET", _SERVER)]),
    rule("servers:show:host_status", ADMIN,
          "See the state of a server's host in its body (2.16).",
          [("GET", _SERVER), ("GET", "/servers/detail"), ("PUT", _SERVER),
           ("POST", _SERVER + "/action (rebuild)")]),
    rule("servers:create", PROJECT_MEMBER_OR_ADMIN, "Create a server.",
          [("POST", "/servers")]),
    rule("servers:create:forced_host", ADMIN,
          "Create a server on a host named in its availability zone.",
          [("POST", "/servers")]),
    rule("servers:create:attach_network", PROJECT_MEMBER_OR_ADMIN,
          "Create a server with named networks or ports.", [("POST", "/servers")]),
    rule("servers:create:attach_volume", PROJECT_MEMBER_OR_ADMIN,
          "Create a server with block device mappings.", [("POST", "/servers")]),
    rule("servers:update", PROJECT_MEMBER_OR_ADMIN, "Update a server.", [("PUT", _SERVER)]),
    rule("servers:delete", PROJECT_MEMBER_OR_ADMIN, "Delete a server.",
          [("DELETE", _SERVER)]),
    rule("os-extended-server-attributes", ADMIN,
          "See a server's host, hypervisor and instance name in its body.",
          [("GET", _SERVER), ("GET", "/servers/detail"), ("PUT", _SERVER),
           ("POST", _SERVER + "/action (rebuild)")]),
    policy.DocumentedRuleDefault(
        name="compute:servers:create:requested_destination", check_str=ADMIN,
        description="Create a server on a host or node named in the request (2.74).",
        operations=[{"method": "POST", "path": "/servers"}], scope_types=["project"]),
]
