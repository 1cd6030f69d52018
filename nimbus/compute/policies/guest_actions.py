"""Server actions on the guest and its record: reboot, pause, suspend, crash
dumps, locks, state resets, soft-delete restore and force delete."""

from __future__ import annotations

from oslo_policy import policy

from nimbus.compute.policies.base import ADMIN, PROJECT_MEMBER_OR_ADMIN, rule

_ACTION = "/servers/{server_id}/action"


def _action(name: str, check: str, description: str,
            action: str) -> policy.DocumentedRuleDefault:
    return rule(name, check, description, [("POST", f"{_ACTION} ({action})")])


RULES = [
    _action("servers:reboot", PROJECT_MEMBER_OR_ADMIN, "Reboot a server.", "reboot"),
    _action("servers:trigger_crash_dump", PROJECT_MEMBER_OR_ADMIN,
            "Trigger a crash dump in a server (2.17).", "trigger_crash_dump"),
    _action("os-pause-server:pause", PROJECT_MEMBER_OR_ADMIN, "Pause a server.", "pause"),
    _action("os-pause-server:unpause", PROJECT_MEMBER_OR_ADMIN, "Unpause a paused server.",
            "unpause"),
    _action("os-suspend-server:suspend", PROJECT_MEMBER_OR_ADMIN, "Suspend a server.",
            "suspend"),
    _action("os-suspend-server:resume", PROJECT_MEMBER_OR_ADMIN,
            "Resume a suspended server.", "resume"),
    _action("os-lock-server:lock", PROJECT_MEMBER_OR_ADMIN, "Lock a server.", "lock"),
    _action("os-lock-server:unlock", PROJECT_MEMBER_OR_ADMIN, "Unlock a server.", "unlock"),
    _action("os-lock-server:unlock:unlock_override", ADMIN,
            "Unlock a server locked by someone else (an owner's lock for an admin, an "
            "admin's lock for an owner).", "unlock"),
    _action("os-admin-actions:reset_state", ADMIN,
            "Reset the state of a server to active or error.", "os-resetState"),
    _action("os-deferred-delete:restore", PROJECT_MEMBER_OR_ADMIN,
            "Restore a soft-deleted server.", "restore"),
    _action("os-deferred-delete:force", PROJECT_MEMBER_OR_ADMIN,
            "Delete a server at once, soft-deleted or not.", "forceDelete"),
]
