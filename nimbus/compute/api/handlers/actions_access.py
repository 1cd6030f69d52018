"""Server actions that reach into the guest: changePassword and os-getConsoleOutput."""

from __future__ import annotations

import re

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.api import common
from nimbus.compute.api.common import compute
from nimbus.compute.api.handlers.actions_guest import owner
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import server_actions as schema
from nimbus.compute.objects.convert import to_object
from nimbus.compute.ops import actions

# Control characters a console may hold that Nova strips (not tab, newline, CR).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")


def change_password(req: Request) -> Response:
    """changePassword -> 202, once the agent has set it (409 when it could not)."""
    password = common.body(req, schema.CHANGE_PASSWORD)["changePassword"]["adminPass"]
    found = find(req)
    req.context.can("os_compute_api:os-admin-password", owner(found))
    record = actions.begin(compute(req), req.context, found, name="changePassword",
                           vm_states=(states.ACTIVE,),
                           values={"task_state": states.UPDATING_PASSWORD},
                           is_admin=common.is_admin(req))
    assert found.cell is not None
    try:
        compute(req).compute_api(found.cell).set_admin_password(
            req.context, record.host or "", to_object(record), password)
    except exc.NotSupported as err:
        raise errors.NotImplementedYet(str(err)) from None
    return empty_response(202)


def _length(raw: int | str | None) -> int | None:
    """None (or -1): the whole output."""
    if raw is None:
        return None
    value = int(raw)
    return None if value < 0 else value


def get_console_output(req: Request) -> Response:
    """os-getConsoleOutput -> 200 with the output (its last `length` lines)."""
    body = common.body(req, schema.GET_CONSOLE_OUTPUT)["os-getConsoleOutput"]
    found = find(req)
    req.context.can("os_compute_api:os-console-output",
                    {"project_id": found.server.project_id})
    host = actions.check_host(found)
    assert found.cell is not None
    try:
        output = compute(req).compute_api(found.cell).get_console_output(
            req.context, host, to_object(found.server), _length(body.get("length")))
    except exc.NotSupported as err:
        raise errors.NotImplementedYet(str(err)) from None
    return json_response({"output": _CONTROL.sub("", output)})


ACTIONS = {"changePassword": change_password, "os-getConsoleOutput": get_console_output}
