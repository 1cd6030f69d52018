"""Deferred deletes: with ``[compute] reclaim_instance_interval`` > 0 a delete
only powers the server off (SOFT_DELETED) and its agent reclaims it once the
interval has passed; until then ``restore`` brings it back and
``forceDelete`` deletes it at once.

As Nova: a server that never ran, or whose host is down, or in cell0, is
deleted at once instead; a soft-deleted server does not count against the
quota (its mapping is queued for delete), so restoring it checks the quota
again, under the project's quota lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nimbus.common.context import RequestContext
from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute import quotas, states
from nimbus.compute.db import mappings
from nimbus.compute.db.cell import actions
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.objects.convert import to_object
from nimbus.compute.ops import delete as hard
from nimbus.compute.ops.actions import check_lock, check_state
from nimbus.compute.ops.lookup import Found

if TYPE_CHECKING:
    from nimbus.compute.service import Compute


def delete(compute: Compute, ctx: RequestContext, found: Found, is_admin: bool) -> None:
    """DELETE /servers/{id}: soft when configured and possible, else at once.

    :raises InstanceIsLocked: :raises InstanceNotFound:
    """
    if compute.conf.compute.reclaim_instance_interval <= 0 or found.cell is None:
        hard.delete(compute, ctx, found, is_admin)
        return
    check_lock(found, is_admin)
    try:
        check_state(found, "soft_delete", None, None, must_have_launched=True)
    except exc.InstanceInvalidState:
        hard.delete(compute, ctx, found, is_admin)  # it never ran: nothing to keep
        return
    server = found.server
    if server.task_state in (states.DELETING, states.SOFT_DELETING):
        return  # a delete is under way already
    if found.cell.is_cell0 or not hard.host_is_up(compute, found):
        hard.delete(compute, ctx, found, is_admin)
        return
    with compute.api_db.writer() as conn:
        mappings.update_instance_mapping(conn, server.uuid, queued_for_delete=True)
    with compute.cells.db(found.cell).writer() as conn:
        record = cell_instances.update(conn, server.uuid, {
            "task_state": states.SOFT_DELETING, "deleted_at": utcnow(), "progress": 0})
        actions.start(conn, server.uuid, "delete", ctx.request_id, ctx.user_id,
                      ctx.project_id)
    compute.compute_api(found.cell).soft_delete_instance(ctx, record.host or "",
                                                         to_object(record))


def restore(compute: Compute, ctx: RequestContext, found: Found, is_admin: bool) -> None:
    """Bring a soft-deleted server back, if the quota still has room for it.

    :raises InstanceIsLocked: :raises InstanceInvalidState: (409)
    :raises QuotaExceeded: (403)
    """
    check_lock(found, is_admin)
    check_state(found, "restore", (states.SOFT_DELETED,))
    assert found.cell is not None
    server = found.server
    sizes = {"instances": 1, "cores": server.vcpus, "ram": server.memory_mb}
    quotas.check_instances(
        compute.conf, compute.api_db, server.project_id, server.user_id, sizes, 1, 1,
        lambda conn, _count: mappings.update_instance_mapping(
            conn, server.uuid, queued_for_delete=False))
    values = ({"task_state": states.RESTORING, "deleted_at": None} if server.host else
              {"vm_state": states.ACTIVE, "task_state": None, "deleted_at": None})
    try:
        with compute.cells.db(found.cell).writer() as conn:
            record = cell_instances.update(conn, server.uuid, values,
                                           expected_task_state=[None],
                                           expected_vm_state=[states.SOFT_DELETED])
            actions.start(conn, server.uuid, "restore", ctx.request_id, ctx.user_id,
                          ctx.project_id)
    except exc.UnexpectedTaskState as err:
        # Reclaimed or acted on meanwhile: it is still queued for delete.
        with compute.api_db.writer() as conn:
            mappings.update_instance_mapping(conn, server.uuid, queued_for_delete=True)
        raise exc.InstanceInvalidState(action="restore", instance_uuid=server.uuid,
                                       attr="task_state",
                                       state=err.kwargs.get("actual")) from None
    if server.host:
        compute.compute_api(found.cell).restore_instance(ctx, server.host, to_object(record))
