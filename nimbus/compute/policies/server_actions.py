"""Server actions (POST /servers/{server_id}/action), by action."""

from __future__ import annotations

from nimbus.compute.policies.base import PROJECT_MEMBER_OR_ADMIN, rule

_ACTION = "/servers/{server_id}/action"

RULES = [
    rule("servers:stop", PROJECT_MEMBER_OR_ADMIN, "Stop a server.",
         [("POST", _ACTION + " (os-stop)")]),
    rule("servers:start", PROJECT_MEMBER_OR_ADMIN, "Start a stopped server.",
         [("POST", _ACTION + " (os-start)")]),
]
