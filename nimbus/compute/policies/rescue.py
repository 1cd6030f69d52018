"""Rescuing servers: rescue and unrescue."""

from __future__ import annotations

from nimbus.compute.policies.base import PROJECT_MEMBER_OR_ADMIN, rule

_ACTION = "/servers/{server_id}/action"

RULES = [
    rule("os-rescue", PROJECT_MEMBER_OR_ADMIN, "Rescue a server.",
         [("POST", _ACTION + " (rescue)")]),
    rule("os-unrescue", PROJECT_MEMBER_OR_ADMIN, "Unrescue a server.",
         [("POST", _ACTION + " (unrescue)")]),
]
