"""Locking, unlocking and resetting the state of a server: changes the API
makes itself, recorded as instance actions with ``api_`` events as Nova does.

A lock remembers who took it: ``owner`` (someone of the server's project)
or ``admin`` (an admin of another project). An owner cannot lift an admin's
lock, nor an admin an owner's, without the unlock_override rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.db.cell import actions, instance_items
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.ops.lookup import Found

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

LOCKED_REASON = "locked_reason"


def is_owner(ctx: RequestContext, found: Found) -> bool:
    return found.server.project_id == ctx.project_id


def expected_locked_by(ctx: RequestContext, found: Found) -> bool:
    """Nova's is_expected_locked_by: the caller is on the side that locked it
    (or nobody did)."""
    locked_by = found.server.locked_by
    return not locked_by or locked_by == ("owner" if is_owner(ctx, found) else "admin")


def _in_cell(compute: Compute, found: Found) -> Any:
    if found.cell is None:
        raise exc.InstanceNotReady(instance_id=found.server.uuid)
    return compute.cells.db(found.cell)


def _api_action(compute: Compute, ctx: RequestContext, found: Found, action: str,
                change: Callable[[Connection], None]) -> None:
    """Record `action` with its ``api_<action>`` event around `change`, in
    one transaction of the server's cell."""
    uuid = found.server.uuid
    with _in_cell(compute, found).writer() as conn:
        actions.start(conn, uuid, action, ctx.request_id, ctx.user_id, ctx.project_id)
        event = f"api_{action}"
        actions.event_start(conn, uuid, ctx.request_id, event, compute.conf.host)
        change(conn)
        actions.event_finish(conn, uuid, ctx.request_id, event, "Success")


def lock(compute: Compute, ctx: RequestContext, found: Found, reason: str | None) -> None:
    """Lock the server; a no-op when an owner locks it again."""
    owner = is_owner(ctx, found)
    if found.server.locked and owner:
        return

    def change(conn: Connection) -> None:
        cell_instances.update(conn, found.server.uuid,
                              {"locked": True, "locked_by": "owner" if owner else "admin"})
        if reason:
            instance_items.set_system_metadata(conn, found.server.uuid,
                                               {LOCKED_REASON: reason})

    _api_action(compute, ctx, found, "lock", change)


def unlock(compute: Compute, ctx: RequestContext, found: Found) -> None:
    def change(conn: Connection) -> None:
        cell_instances.update(conn, found.server.uuid, {"locked": False, "locked_by": None})
        instance_items.delete_system_metadata(conn, found.server.uuid, [LOCKED_REASON])

    _api_action(compute, ctx, found, "unlock", change)


def reset_state(compute: Compute, ctx: RequestContext, found: Found, state: str) -> None:
    """os-resetState: vm_state active or error, no task, whatever it was doing."""
    vm_state = {"active": states.ACTIVE, "error": states.ERROR}[state]
    uuid = found.server.uuid
    with _in_cell(compute, found).writer() as conn:
        actions.start(conn, uuid, "resetState", ctx.request_id, ctx.user_id, ctx.project_id)
        cell_instances.update(conn, uuid, {"vm_state": vm_state, "task_state": None})
        actions.finish(conn, uuid, ctx.request_id)
