"""Server actions on the guest: reboot, pause, unpause, suspend, resume and
trigger_crash_dump (2.17). Each checks the server's state and lock, sets its
task state, records the instance action and casts to the server's agent."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response
from nimbus.compute import states
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, since
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import server_actions as schema
from nimbus.compute.db.cell.instances import InstanceRecord
from nimbus.compute.objects.convert import to_object
from nimbus.compute.ops import actions
from nimbus.compute.ops.lookup import Found


def owner(found: Found) -> dict[str, Any]:
    """The policy target of an action: the server's project and user."""
    return {"project_id": found.server.project_id, "user_id": found.server.user_id}


def _agent(req: Request, found: Found) -> Any:
    assert found.cell is not None
    return compute(req).compute_api(found.cell)


def _begin(req: Request, found: Found, name: str, vm_states: tuple[str, ...],
           task: str | None, **kwargs: Any) -> InstanceRecord:
    return actions.begin(compute(req), req.context, found, name=name, vm_states=vm_states,
                         values={"task_state": task} if task else {},
                         is_admin=common.is_admin(req), **kwargs)


def reboot(req: Request) -> Response:
    """reboot (SOFT or HARD) -> 202."""
    reboot_type = common.body(req, schema.REBOOT)["reboot"]["type"].upper()
    found = find(req)
    req.context.can("os_compute_api:servers:reboot", owner(found))
    if reboot_type == "SOFT":
        record = _begin(req, found, "reboot", states.ALLOW_SOFT_REBOOT, states.REBOOTING)
    else:
        record = _begin(req, found, "reboot", states.ALLOW_HARD_REBOOT, states.REBOOTING_HARD,
                        task_states=states.ALLOW_REBOOT_TASKS)
    _agent(req, found).reboot_instance(req.context, record.host or "", to_object(record),
                                       reboot_type)
    return empty_response(202)


def pause(req: Request) -> Response:
    """pause -> 202."""
    common.body(req, schema.PAUSE)
    found = find(req)
    req.context.can("os_compute_api:os-pause-server:pause", owner(found))
    record = _begin(req, found, "pause", (states.ACTIVE,), states.PAUSING)
    _agent(req, found).pause_instance(req.context, record.host or "", to_object(record))
    return empty_response(202)


def unpause(req: Request) -> Response:
    """unpause -> 202."""
    common.body(req, schema.UNPAUSE)
    found = find(req)
    req.context.can("os_compute_api:os-pause-server:unpause", owner(found))
    record = _begin(req, found, "unpause", (states.PAUSED,), states.UNPAUSING)
    _agent(req, found).unpause_instance(req.context, record.host or "", to_object(record))
    return empty_response(202)


def suspend(req: Request) -> Response:
    """suspend -> 202."""
    common.body(req, schema.SUSPEND)
    found = find(req)
    req.context.can("os_compute_api:os-suspend-server:suspend", owner(found))
    record = _begin(req, found, "suspend", (states.ACTIVE,), states.SUSPENDING)
    _agent(req, found).suspend_instance(req.context, record.host or "", to_object(record))
    return empty_response(202)


def resume(req: Request) -> Response:
    """resume -> 202."""
    common.body(req, schema.RESUME)
    found = find(req)
    req.context.can("os_compute_api:os-suspend-server:resume", owner(found))
    record = _begin(req, found, "resume", (states.SUSPENDED,), states.RESUMING)
    _agent(req, found).resume_instance(req.context, record.host or "", to_object(record))
    return empty_response(202)


def trigger_crash_dump(req: Request) -> Response:
    """trigger_crash_dump -> 202 from 2.17 (an unknown method before: 404)."""
    if not since(req, "2.17"):
        raise errors.NotFound()
    common.body(req, schema.TRIGGER_CRASH_DUMP)
    found = find(req)
    req.context.can("os_compute_api:servers:trigger_crash_dump", owner(found))
    record = _begin(req, found, "trigger_crash_dump", states.ALLOW_TRIGGER_CRASH_DUMP, None,
                    needs_host=True)
    _agent(req, found).trigger_crash_dump(req.context, record.host or "", to_object(record))
    return empty_response(202)


ACTIONS = {"reboot": reboot, "pause": pause, "unpause": unpause, "suspend": suspend,
           "resume": resume, "trigger_crash_dump": trigger_crash_dump}
