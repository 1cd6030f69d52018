"""POST /servers/{server_id}/action: one route, many actions, each named by
the single key of the body ({"reboot": {...}}, {"os-stop": null}...).

Action handlers live in modules by family; each module lists its actions in
an ``ACTIONS`` table (action name -> handler), and ACTION_MODULES below
gathers them. An unknown action is 400, as Nova answers.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.compute.api.common import handler
from nimbus.compute.api.handlers import (
    actions_access,
    actions_deferred_delete,
    actions_guest,
    actions_lock,
    actions_migrate,
    actions_power,
    actions_rebuild,
    actions_rescue,
    actions_resize,
    actions_shelve,
    actions_snapshot,
)

Action = Callable[[Request], Response]

# Modules whose ACTIONS tables make up the action routes.
ACTION_MODULES: list[ModuleType] = [actions_power, actions_guest, actions_lock,
                                    actions_deferred_delete, actions_access, actions_resize,
                                    actions_migrate, actions_rebuild, actions_snapshot,
                                    actions_shelve, actions_rescue]


def actions() -> dict[str, Action]:
    table: dict[str, Action] = {}
    for module in ACTION_MODULES:
        for name, action in module.ACTIONS.items():
            if name in table:
                raise RuntimeError(f"server action {name} is defined twice")
            table[name] = action
    return table


_TABLE: dict[str, Action] | None = None


@handler()
def server_action(req: Request) -> Response:
    """POST /servers/{server_id}/action -> as the action says."""
    global _TABLE
    if _TABLE is None:
        _TABLE = actions()
    body = req.json()
    if not isinstance(body, dict) or len(body) != 1:
        raise errors.BadRequest("There is either no action or more than one action in the "
                                "request body.")
    name = next(iter(body))
    action = _TABLE.get(name)
    if action is None:
        raise errors.BadRequest(f"There is no such action: {name}")
    return action(req)
