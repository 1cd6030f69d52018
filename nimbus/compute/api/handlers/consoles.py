"""POST /servers/{server_id}/remote-consoles (2.6): a URL to the guest's VNC,
SPICE, serial or (2.8) MKS console.

The agent asks its driver where the console is; a driver without that
console answers as Nova does with that console disabled: 400, "Unavailable
console type". Nimbus runs no console proxy yet, so a console the driver
has still cannot be handed out, and gets the same answer.
"""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import server_actions as schema
from nimbus.compute.objects.convert import to_object
from nimbus.compute.ops import actions


@handler("2.6")
def create_remote_console(req: Request) -> Response:
    """POST /servers/{server_id}/remote-consoles -> 200 with the console."""
    chosen = (schema.REMOTE_CONSOLE_V2_99 if since(req, "2.99") else
              schema.REMOTE_CONSOLE_V2_8 if since(req, "2.8") else schema.REMOTE_CONSOLE_V2_6)
    wanted = common.body(req, chosen)["remote_console"]
    found = find(req)
    req.context.can("os_compute_api:os-remote-consoles",
                    {"project_id": found.server.project_id})
    protocol, console_type = wanted["protocol"], wanted["type"]
    if protocol == "rdp":  # removed from Nova with its Hyper-V driver
        raise errors.BadRequest(f"Unavailable console type {protocol}.")
    host = actions.check_host(found)
    server = found.server
    if server.task_state in (states.DELETING, states.MIGRATING):
        raise errors.BadRequest(
            f"Instance {server.uuid} in task_state {server.task_state}. Cannot "
            f"get_{protocol}_console while the instance is in this state.")
    assert found.cell is not None
    compute(req).compute_api(found.cell).get_remote_console(
        req.context, host, to_object(server), protocol, console_type)
    raise exc.ConsoleTypeUnavailable(console_type=console_type)
