"""Policy defaults of the placement service, with Placement's rule names.

Almost everything is for admins and services; the project reader may read
its own usages. Scope is project: placement takes no system-scoped tokens
(as upstream, with [oslo_policy] enforce_scope). Each default carries the
old default (``role:admin``) as a deprecated rule, so that with
``enforce_new_defaults = false`` the old behaviour holds.
"""

from __future__ import annotations

from oslo_policy import policy

_REASON = ("Placement policies now know the service role and scope; the old "
           "admin-only defaults are deprecated.")
_OLD_ADMIN = policy.DeprecatedRule(name="rule:admin_api", check_str="role:admin",
                                   deprecated_reason=_REASON, deprecated_since="W")

ADMIN_OR_SERVICE = "rule:admin_or_service_api"
SERVICE = "rule:service_api"
ADMIN_OR_PROJECT_READER_OR_SERVICE = "rule:admin_or_project_reader_or_service_api"

BASE_RULES = [
    policy.RuleDefault("admin_api", "role:admin", scope_types=["project"],
                       description="Default rule for most placement APIs."),
    policy.RuleDefault("service_api", "role:service", scope_types=["project"],
                       deprecated_rule=_OLD_ADMIN,
                       description="Default rule for service-to-service placement APIs."),
    policy.RuleDefault("admin_or_service_api", "role:admin or role:service",
                       scope_types=["project"], deprecated_rule=_OLD_ADMIN,
                       description="Default rule for most placement APIs."),
    policy.RuleDefault("project_reader_api", "role:reader and project_id:%(project_id)s",
                       deprecated_rule=_OLD_ADMIN,
                       description="Default rule for project level reader APIs."),
    policy.RuleDefault("admin_or_project_reader_or_service_api",
                       "role:admin or rule:project_reader_api or role:service",
                       scope_types=["project"], deprecated_rule=_OLD_ADMIN,
                       description="Default rule for project level reader APIs."),
]


def _rule(name: str, check: str, description: str,
          ops: list[tuple[str, str]]) -> policy.DocumentedRuleDefault:
    return policy.DocumentedRuleDefault(
        name=f"placement:{name}", check_str=check, description=description,
        operations=[{"method": m, "path": p} for m, p in ops], scope_types=["project"])


_RP = "/resource_providers/{uuid}"
_INV = _RP + "/inventories"

API_RULES = [
    _rule("resource_providers:list", ADMIN_OR_SERVICE, "List resource providers.",
          [("GET", "/resource_providers")]),
    _rule("resource_providers:create", ADMIN_OR_SERVICE, "Create a resource provider.",
          [("POST", "/resource_providers")]),
    _rule("resource_providers:show", ADMIN_OR_SERVICE, "Show a resource provider.",
          [("GET", _RP)]),
    _rule("resource_providers:update", ADMIN_OR_SERVICE, "Update a resource provider.",
          [("PUT", _RP)]),
    _rule("resource_providers:delete", ADMIN_OR_SERVICE, "Delete a resource provider.",
          [("DELETE", _RP)]),
    _rule("resource_providers:inventories:list", ADMIN_OR_SERVICE,
          "List the inventories of a provider.", [("GET", _INV)]),
    _rule("resource_providers:inventories:create", ADMIN_OR_SERVICE,
          "Create one inventory of a provider.", [("POST", _INV)]),
    _rule("resource_providers:inventories:show", ADMIN_OR_SERVICE,
          "Show one inventory of a provider.", [("GET", _INV + "/{resource_class}")]),
    _rule("resource_providers:inventories:update", ADMIN_OR_SERVICE,
          "Replace the inventories of a provider, or update one.",
          [("PUT", _INV), ("PUT", _INV + "/{resource_class}")]),
    _rule("resource_providers:inventories:delete", ADMIN_OR_SERVICE,
          "Delete the inventories of a provider, or one.",
          [("DELETE", _INV), ("DELETE", _INV + "/{resource_class}")]),
    _rule("resource_providers:aggregates:list", ADMIN_OR_SERVICE,
          "List the aggregates of a provider.", [("GET", _RP + "/aggregates")]),
    _rule("resource_providers:aggregates:update", ADMIN_OR_SERVICE,
          "Replace the aggregates of a provider.", [("PUT", _RP + "/aggregates")]),
    _rule("resource_providers:usages", ADMIN_OR_SERVICE, "Show the usages of a provider.",
          [("GET", _RP + "/usages")]),
    _rule("usages", ADMIN_OR_PROJECT_READER_OR_SERVICE,
          "Show the usages of a project, or of a user in it.", [("GET", "/usages")]),
    _rule("resource_providers:allocations:list", ADMIN_OR_SERVICE,
          "List the allocations against a provider.", [("GET", _RP + "/allocations")]),
    _rule("allocations:manage", ADMIN_OR_SERVICE, "Set the allocations of many consumers.",
          [("POST", "/allocations")]),
    _rule("allocations:list", ADMIN_OR_SERVICE, "List the allocations of a consumer.",
          [("GET", "/allocations/{consumer_uuid}")]),
    _rule("allocations:update", ADMIN_OR_SERVICE, "Set the allocations of a consumer.",
          [("PUT", "/allocations/{consumer_uuid}")]),
    _rule("allocations:delete", ADMIN_OR_SERVICE, "Delete the allocations of a consumer.",
          [("DELETE", "/allocations/{consumer_uuid}")]),
    _rule("allocation_candidates:list", ADMIN_OR_SERVICE,
          "List where a request for resources fits.", [("GET", "/allocation_candidates")]),
    _rule("traits:list", ADMIN_OR_SERVICE, "List traits.", [("GET", "/traits")]),
    _rule("traits:show", ADMIN_OR_SERVICE, "Check a trait.", [("GET", "/traits/{name}")]),
    _rule("traits:update", ADMIN_OR_SERVICE, "Create a custom trait.",
          [("PUT", "/traits/{name}")]),
    _rule("traits:delete", ADMIN_OR_SERVICE, "Delete a custom trait.",
          [("DELETE", "/traits/{name}")]),
    _rule("resource_providers:traits:list", ADMIN_OR_SERVICE,
          "List the traits of a provider.", [("GET", _RP + "/traits")]),
    _rule("resource_providers:traits:update", ADMIN_OR_SERVICE,
          "Replace the traits of a provider.", [("PUT", _RP + "/traits")]),
    _rule("resource_providers:traits:delete", ADMIN_OR_SERVICE,
          "Remove every trait of a provider.", [("DELETE", _RP + "/traits")]),
    _rule("resource_classes:list", ADMIN_OR_SERVICE, "List resource classes.",
          [("GET", "/resource_classes")]),
    _rule("resource_classes:create", ADMIN_OR_SERVICE, "Create a custom resource class.",
          [("POST", "/resource_classes")]),
    _rule("resource_classes:show", ADMIN_OR_SERVICE, "Show a resource class.",
          [("GET", "/resource_classes/{name}")]),
    _rule("resource_classes:update", ADMIN_OR_SERVICE, "Create or rename a custom class.",
          [("PUT", "/resource_classes/{name}")]),
    _rule("resource_classes:delete", ADMIN_OR_SERVICE, "Delete a custom resource class.",
          [("DELETE", "/resource_classes/{name}")]),
    _rule("reshaper:reshape", SERVICE, "Move inventories and allocations at once.",
          [("POST", "/reshaper")]),
]


def list_rules() -> list[policy.RuleDefault]:
    return BASE_RULES + API_RULES
