"""Flavors, their extra specs and access lists."""

from __future__ import annotations

from nimbus.compute.policies.base import (
    ADMIN,
    PROJECT_READER_OR_ADMIN,
    rule,
)

_FLAVOR = "/flavors/{flavor_id}"
_SPECS = _FLAVOR + "/os-extra_specs"

RULES = [
    rule("os-flavor-manage:create", ADMIN, "Create a flavor.", [("POST", "/flavors")]),
    rule("os-flavor-manage:update", ADMIN, "Update a flavor's description.",
          [("PUT", _FLAVOR)]),
    rule("os-flavor-manage:delete", ADMIN, "Delete a flavor.", [("DELETE", _FLAVOR)]),
    rule("os-flavor-extra-specs:index", PROJECT_READER_OR_ADMIN,
          "List a flavor's extra specs; also decides whether flavor bodies carry them "
          "(2.61).",
          [("GET", _SPECS), ("POST", "/flavors"), ("GET", "/flavors/detail"),
           ("GET", _FLAVOR), ("PUT", _FLAVOR)]),
    rule("os-flavor-extra-specs:show", PROJECT_READER_OR_ADMIN,
          "Show one extra spec of a flavor.", [("GET", _SPECS + "/{flavor_extra_spec_key}")]),
    rule("os-flavor-extra-specs:create", ADMIN, "Add or replace extra specs of a flavor.",
          [("POST", _SPECS)]),
    rule("os-flavor-extra-specs:update", ADMIN, "Set one extra spec of a flavor.",
          [("PUT", _SPECS + "/{flavor_extra_spec_key}")]),
    rule("os-flavor-extra-specs:delete", ADMIN, "Delete one extra spec of a flavor.",
          [("DELETE", _SPECS + "/{flavor_extra_spec_key}")]),
    rule("os-flavor-access", ADMIN, "List the projects a private flavor is shared with.",
          [("GET", _FLAVOR + "/os-flavor-access")]),
    rule("os-flavor-access:add_tenant_access", ADMIN, "Share a private flavor with a project.",
          [("POST", _FLAVOR + "/action (addTenantAccess)")]),
    rule("os-flavor-access:remove_tenant_access", ADMIN,
          "Stop sharing a private flavor with a project.",
          [("POST", _FLAVOR + "/action (removeTenantAccess)")]),
]
