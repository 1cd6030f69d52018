"""Instance actions and their events (the history of a server)."""

from __future__ import annotations

from nimbus.compute.policies.base import ADMIN, PROJECT_READER_OR_ADMIN, rule

_ACTIONS = "/servers/{server_id}/os-instance-actions"
_ACTION = _ACTIONS + "/{request_id}"

RULES = [
    rule("os-instance-actions:list", PROJECT_READER_OR_ADMIN,
         "List the actions done to a server.", [("GET", _ACTIONS)]),
    rule("os-instance-actions:show", PROJECT_READER_OR_ADMIN,
         "Show one action done to a server.", [("GET", _ACTION)]),
    rule("os-instance-actions:events", ADMIN,
         "See an action's events before 2.51, and from then on their tracebacks and "
         "(2.62) hosts.", [("GET", _ACTION)]),
    rule("os-instance-actions:events:details", ADMIN,
         "See the details of an action's events (2.84).", [("GET", _ACTION)]),
]
