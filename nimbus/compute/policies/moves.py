"""Resize and cold migration, and the migrations they leave behind, with
Nova's rule names and defaults."""

from __future__ import annotations

from nimbus.compute.policies.base import (
    ADMIN,
    PROJECT_MEMBER_OR_ADMIN,
    rule,
)

_ACTION = "/servers/{server_id}/action"
# Nova's newer defaults let a project's managers move its servers.
PROJECT_MANAGER_OR_ADMIN = "rule:project_manager_or_admin"

RULES = [
    rule("servers:resize", PROJECT_MEMBER_OR_ADMIN, "Resize a server.",
         [("POST", _ACTION + " (resize)")]),
    rule("servers:confirm_resize", PROJECT_MEMBER_OR_ADMIN, "Confirm a server resize.",
         [("POST", _ACTION + " (confirmResize)")]),
    rule("servers:revert_resize", PROJECT_MEMBER_OR_ADMIN, "Revert a server resize.",
         [("POST", _ACTION + " (revertResize)")]),
    rule("os-migrate-server:migrate", PROJECT_MANAGER_OR_ADMIN,
         "Cold migrate a server without specifying a host.",
         [("POST", _ACTION + " (migrate)")]),
    rule("os-migrate-server:migrate:host", ADMIN, "Cold migrate a server to a specified host.",
         [("POST", _ACTION + " (migrate)")]),
    rule("os-migrations:index", PROJECT_MANAGER_OR_ADMIN,
         "List migrations without host info.", [("GET", "/os-migrations")]),
    rule("os-migrations:index:all_projects", ADMIN,
         "List migrations for all or cross projects.", [("GET", "/os-migrations")]),
    rule("os-migrations:index:host", ADMIN, "List migrations with host info.",
         [("GET", "/os-migrations")]),
]
