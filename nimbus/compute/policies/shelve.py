"""Shelving servers: shelve, offload, unshelve (to a named host for admins)."""

from __future__ import annotations

from nimbus.compute.policies.base import ADMIN, PROJECT_MEMBER_OR_ADMIN, rule

_ACTION = "/servers/{server_id}/action"

RULES = [
    rule("os-shelve:shelve", PROJECT_MEMBER_OR_ADMIN, "Shelve a server.",
         [("POST", _ACTION + " (shelve)")]),
    rule("os-shelve:unshelve", PROJECT_MEMBER_OR_ADMIN, "Unshelve (restore) a shelved server.",
         [("POST", _ACTION + " (unshelve)")]),
    rule("os-shelve:unshelve_to_host", ADMIN,
         "Unshelve (restore) a shelve offloaded server to a named host (2.91).",
         [("POST", _ACTION + " (unshelve)")]),
    rule("os-shelve:shelve_offload", ADMIN, "Shelf-offload (remove) a server from its host.",
         [("POST", _ACTION + " (shelveOffload)")]),
]
