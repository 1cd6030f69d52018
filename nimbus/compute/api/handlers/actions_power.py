"""Server actions that start and stop a server: os-start and os-stop."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response
from nimbus.compute import states
from nimbus.compute.api import common
from nimbus.compute.api.common import compute
from nimbus.compute.api.handlers.servers import find, target
from nimbus.compute.objects.convert import to_object
from nimbus.compute.ops import actions


def stop(req: Request) -> Response:
    """os-stop -> 202."""
    found = find(req)
    req.context.can("os_compute_api:servers:stop", target(req, found.server.project_id))
    record = actions.begin(compute(req), req.context, found, name="stop",
                           vm_states=(states.ACTIVE, states.ERROR),
                           values={"task_state": states.POWERING_OFF, "progress": 0},
                           is_admin=common.is_admin(req))
    assert found.cell is not None
    compute(req).compute_api(found.cell).stop_instance(req.context, record.host or "",
                                                       to_object(record))
    return empty_response(202)


def start(req: Request) -> Response:
    """os-start -> 202."""
    found = find(req)
    req.context.can("os_compute_api:servers:start", target(req, found.server.project_id))
    record = actions.begin(compute(req), req.context, found, name="start",
                           vm_states=(states.STOPPED,),
                           values={"task_state": states.POWERING_ON},
                           is_admin=common.is_admin(req))
    assert found.cell is not None
    compute(req).compute_api(found.cell).start_instance(req.context, record.host or "",
                                                        to_object(record))
    return empty_response(202)


ACTIONS = {"os-stop": stop, "os-start": start}
