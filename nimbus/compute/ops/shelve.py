"""Shelving servers: shelve (a snapshot, then the guest is stopped and, after
[compute] shelved_offload_time, removed from its host), shelveOffload (remove
it now), and unshelve (power it on where it is, or, once offloaded, schedule
it anew through the conductor, optionally in another zone or on a named
host).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.db import aggregates, build_requests, mappings
from nimbus.compute.db.cell import compute_nodes
from nimbus.compute.objects.convert import to_object
from nimbus.compute.ops import actions, snapshot
from nimbus.compute.ops.lookup import Found

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

SHELVE_VM_STATES = (states.ACTIVE, states.STOPPED, states.PAUSED, states.SUSPENDED)
UNSHELVE_VM_STATES = (states.SHELVED, states.SHELVED_OFFLOADED)

# Marks an argument the request did not give (None is a value: "unpin the zone").
UNSET: Any = object()


def shelve(compute: Compute, ctx: RequestContext, found: Found, is_admin: bool) -> None:
    """:raises InstanceInvalidState: :raises InstanceIsLocked: (409), and the
    image service's refusals."""
    actions.check_lock(found, is_admin)
    actions.check_state(found, "shelve", SHELVE_VM_STATES)
    server = found.server
    image = snapshot.create_image(compute, ctx, server, f"{server.display_name}-shelved",
                                  "snapshot")
    # Unshelve and rebuild need the image the server was booted from.
    system_metadata = dict(server.system_metadata,
                           image_base_image_ref=server.image_ref or "")
    record = snapshot.begin_with_image(
        compute, ctx, found, image, name="shelve", vm_states=SHELVE_VM_STATES,
        is_admin=is_admin,
        values={"task_state": states.SHELVING, "system_metadata": system_metadata})
    assert found.cell is not None
    compute.compute_api(found.cell).shelve_instance(ctx, record.host or "", to_object(record),
                                                    image["id"])


def shelve_offload(compute: Compute, ctx: RequestContext, found: Found,
                   is_admin: bool) -> None:
    """:raises InstanceInvalidState: :raises InstanceIsLocked: (409)"""
    record = actions.begin(compute, ctx, found, name="shelveOffload",
                           vm_states=(states.SHELVED,), is_admin=is_admin,
                           values={"task_state": states.SHELVING_OFFLOADING})
    assert found.cell is not None
    compute.compute_api(found.cell).shelve_offload_instance(ctx, record.host or "",
                                                            to_object(record))


def _check_zone(compute: Compute, zone: str) -> None:
    default = compute.conf.compute.default_availability_zone
    with compute.api_db.reader() as conn:
        known = {default} | {agg["metadata"]["availability_zone"]
                             for found in aggregates.host_aggregates(conn).values()
                             for agg in found if "availability_zone" in agg["metadata"]}
    if zone not in known:
        raise exc.InvalidRequest(detail="The requested availability zone is not available")


def _check_host(compute: Compute, host: str, zone: str | None) -> None:
    """A host that exists, in `zone` (when the server will be pinned to one).

    :raises InvalidRequest: (400) :raises UnshelveHostNotInAZ: (409)
    """
    missing = exc.InvalidRequest(detail=f"Compute host {host} could not be found.")
    with compute.api_db.reader() as conn:
        try:
            cell = mappings.host_cell(conn, host)
        except exc.HostMappingNotFound:
            raise missing from None
        host_zone = aggregates.host_availability_zone(
            conn, host, compute.conf.compute.default_availability_zone)
    with compute.cells.db(cell).reader() as conn:
        if not compute_nodes.list_nodes(conn, host=host):
            raise missing
    if zone is not None and host_zone != zone:
        raise exc.UnshelveHostNotInAZ(host=host, availability_zone=zone)


def unshelve(compute: Compute, ctx: RequestContext, found: Found, is_admin: bool,
             new_zone: Any = UNSET, host: str | None = None,
             authorize_host: Callable[[], None] | None = None) -> None:
    """Unshelve; `new_zone` (2.77, None from 2.91 to unpin) and `host` (2.91)
    only for an offloaded server; `authorize_host` checks the caller may name
    a host (after the state checks, as Nova orders them).

    :raises InstanceInvalidState: :raises InstanceIsLocked:
        :raises UnshelveInstanceInvalidState: :raises UnshelveHostNotInAZ: (409)
    :raises InvalidRequest: (400)
    """
    actions.check_lock(found, is_admin)
    actions.check_state(found, "unshelve", UNSHELVE_VM_STATES)
    server = found.server
    zone_given = new_zone is not UNSET
    if (zone_given or host) and server.vm_state != states.SHELVED_OFFLOADED:
        raise exc.UnshelveInstanceInvalidState(instance_uuid=server.uuid,
                                               state=server.vm_state)
    if zone_given and new_zone:
        _check_zone(compute, new_zone)
    with compute.api_db.reader() as conn:
        spec = build_requests.get_spec(conn, server.uuid)
    zone = new_zone if zone_given else spec.get("availability_zone")
    if host:
        if authorize_host is not None:
            authorize_host()
        _check_host(compute, host, zone)
    spec["availability_zone"] = zone
    spec["requested_host"] = host
    values: dict[str, Any] = {"task_state": states.UNSHELVING}
    if zone_given:
        values["pinned_availability_zone"] = zone
    record = actions.begin(compute, ctx, found, name="unshelve",
                           vm_states=UNSHELVE_VM_STATES, is_admin=is_admin, values=values)
    with compute.api_db.writer() as conn:
        build_requests.save_spec(conn, server.uuid, spec)
    compute.conductor.unshelve_instance(ctx, to_object(record))
