"""Deleting servers, wherever they are in their life.

- Not yet in a cell (a build request): the request is deleted; the
  conductor, finding it gone, gives back what it claimed.
- In cell0, or on no host, or on a host whose agent is down: deleted
  "locally": the record is soft-deleted and the allocations given back
  here, as Nova's _local_delete.
- Otherwise: task_state ``deleting`` and a cast to the agent, which
  destroys the guest, gives back the allocations and deletes the record.

A server waiting in VERIFY_RESIZE is confirmed first, so that the source
of its resize is cleaned up too.

The quota is released at once (the mapping is queued for delete).
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.db import build_requests, mappings, server_groups
from nimbus.compute.db.cell import actions, services
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.objects.convert import to_object
from nimbus.compute.ops import resize
from nimbus.compute.ops.lookup import Found, find

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

LOG = logging.getLogger(__name__)


def _release_mapping(compute: Compute, instance_uuid: str) -> None:
    with compute.api_db.writer() as conn:
        mappings.update_instance_mapping(conn, instance_uuid, queued_for_delete=True)
        server_groups.remove_member(conn, instance_uuid)


def host_is_up(compute: Compute, found: Found) -> bool:
    server = found.server
    if found.cell is None or not server.host:
        return False
    with compute.cells.db(found.cell).reader() as conn:
        agents = services.list_services(conn, host=server.host, binary="nova-compute")
    now = datetime.datetime.now(datetime.UTC)
    return any(s.is_up(now, compute.conf.compute.service_down_time) for s in agents)


def delete(compute: Compute, ctx: RequestContext, found: Found, is_admin: bool,
           action: str = "delete") -> None:
    """:raises InstanceIsLocked: :raises InstanceNotFound:"""
    server = found.server
    if server.locked and not is_admin:
        raise exc.InstanceIsLocked(instance_uuid=server.uuid)
    for _attempt in range(3):
        if found.cell is not None:
            break
        with compute.api_db.writer() as conn:
            gone = build_requests.delete(conn, server.uuid)
            if gone:
                mappings.update_instance_mapping(conn, server.uuid, queued_for_delete=True)
                server_groups.remove_member(conn, server.uuid)
        if gone:
            return
        found = find(compute, ctx, server.uuid, True)  # it reached a cell meanwhile
        server = found.server
    assert found.cell is not None
    cell_db = compute.cells.db(found.cell)
    resize.confirm_on_delete(compute, ctx, found)
    _release_mapping(compute, server.uuid)
    if server.vm_state in (states.SHELVED, states.SHELVED_OFFLOADED):
        _delete_shelved_image(compute, ctx, server.system_metadata.get("shelved_image_id"))
    if found.cell.is_cell0 or not host_is_up(compute, found):
        with cell_db.writer() as conn:
            actions.start(conn, server.uuid, action, ctx.request_id, ctx.user_id,
                          ctx.project_id)
            cell_instances.destroy(conn, server.uuid)
        _give_back(compute, server.uuid)
        return
    with cell_db.writer() as conn:
        record = cell_instances.update(conn, server.uuid, {"task_state": states.DELETING})
        actions.start(conn, server.uuid, action, ctx.request_id, ctx.user_id, ctx.project_id)
    compute.compute_api(found.cell).terminate_instance(ctx, record.host or "",
                                                       to_object(record))


def _delete_shelved_image(compute: Compute, ctx: RequestContext, image_id: str | None) -> None:
    """A shelved server's snapshot goes with it, as in Nova (a failure is logged)."""
    if not image_id:
        return
    try:
        compute.images.delete(image_id, user_token=ctx.auth_token)
    except Exception:
        LOG.exception("Could not delete %s, the image of a shelved server", image_id)


def _give_back(compute: Compute, instance_uuid: str) -> None:
    try:
        compute.placement.delete_allocations(instance_uuid)
    except Exception:
        LOG.exception("Could not delete the allocations of %s", instance_uuid)
