"""Resize, migrations and evacuation: the server actions that move a server
and the migrations they leave behind, with Nova's rule names and defaults."""

from __future__ import annotations

from nimbus.compute.policies.base import (
    ADMIN,
    PROJECT_MEMBER_OR_ADMIN,
    rule,
)

_ACTION = "/servers/{server_id}/action"
_MIGRATIONS = "/servers/{server_id}/migrations"
_MIGRATION = _MIGRATIONS + "/{migration_id}"
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
    rule("os-migrate-server:migrate_live", PROJECT_MANAGER_OR_ADMIN,
         "Live migrate a server to a new host without a reboot without specifying a host.",
         [("POST", _ACTION + " (os-migrateLive)")]),
    rule("os-migrate-server:migrate_live:host", ADMIN,
         "Live migrate a server to a specified host without a reboot.",
         [("POST", _ACTION + " (os-migrateLive)")]),
    rule("os-evacuate", ADMIN, "Evacuate a server from a failed host to a new host.",
         [("POST", _ACTION + " (evacuate)")]),
    rule("servers:migrations:show", ADMIN,
         "Show details for an in-progress live migration for a given server.",
         [("GET", _MIGRATION)]),
    rule("servers:migrations:force_complete", PROJECT_MANAGER_OR_ADMIN,
         "Force an in-progress live migration for a given server to complete.",
         [("POST", _MIGRATION + "/action (force_complete)")]),
    rule("servers:migrations:delete", PROJECT_MANAGER_OR_ADMIN,
         "Delete(Abort) an in-progress live migration.", [("DELETE", _MIGRATION)]),
    rule("servers:migrations:index", PROJECT_MANAGER_OR_ADMIN,
         "Lists in-progress live migrations for a given server without host info.",
         [("GET", _MIGRATIONS)]),
    rule("servers:migrations:index:host", ADMIN,
         "Lists in-progress live migrations for a given server with host info.",
         [("GET", _MIGRATIONS)]),
    rule("os-migrations:index", PROJECT_MANAGER_OR_ADMIN,
         "List migrations without host info.", [("GET", "/os-migrations")]),
    rule("os-migrations:index:all_projects", ADMIN,
         "List migrations for all or cross projects.", [("GET", "/os-migrations")]),
    rule("os-migrations:index:host", ADMIN, "List migrations with host info.",
         [("GET", "/os-migrations")]),
]
