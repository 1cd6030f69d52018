"""Resize, cold migration, confirm and revert: what the API checks before it
hands a move over (Nova's compute API resize, confirm_resize, revert_resize).

A resize or migration needs the server ACTIVE or STOPPED on a host whose
agent is up; a resize needs a different flavor the image still fits, and
room in the project's quota for any growth (while it lasts, the server
counts its larger flavor). The server gets task_state resize_prep and the
instance action resize or migrate, then the conductor takes over. Confirm
and revert act on the migration that finished (VERIFY_RESIZE).
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from typing import TYPE_CHECKING

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import quotas, states
from nimbus.compute.db import aggregates, build_requests, flavors, mappings
from nimbus.compute.db.cell import actions, compute_nodes, moves, services
from nimbus.compute.objects.convert import to_migration, to_object
from nimbus.compute.objects.flavor import Flavor
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.ops import actions as action_ops
from nimbus.compute.ops.lookup import Found

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

LOG = logging.getLogger(__name__)

COMPUTE_BINARY = "nova-compute"
GIB = 1024 ** 3


# --- shared checks ------------------------------------------------------------------------

def host_is_up(compute: Compute, found: Found, host: str | None) -> bool:
    """Whether `host`'s agent (in the server's cell) reports in and is not forced down."""
    if found.cell is None or not host:
        return False
    with compute.cells.db(found.cell).reader() as conn:
        agents = services.list_services(conn, host=host, binary=COMPUTE_BINARY)
    now = datetime.datetime.now(datetime.UTC)
    return any(s.is_up(now, compute.conf.compute.service_down_time) for s in agents)


def check_host(compute: Compute, found: Found) -> None:
    """Nova's check_instance_host(check_is_up=True).

    :raises InstanceNotReady: :raises HostServiceUnavailable: (both 409)
    """
    if not found.server.host:
        raise exc.InstanceNotReady(instance_id=found.server.uuid)
    if not host_is_up(compute, found, found.server.host):
        raise exc.HostServiceUnavailable()


def request_spec(compute: Compute, instance_uuid: str) -> RequestSpec:
    with compute.api_db.reader() as conn:
        return RequestSpec.from_dict(build_requests.get_spec(conn, instance_uuid))


def save_spec(compute: Compute, spec: RequestSpec) -> None:
    with compute.api_db.writer() as conn:
        build_requests.save_spec(conn, spec.instance_uuid, spec.to_dict())


def _set_size(compute: Compute, instance_uuid: str, vcpus: int, memory_mb: int) -> None:
    """What the server counts for in its project's quota from now on."""
    with compute.api_db.writer() as conn:
        mappings.update_instance_mapping(conn, instance_uuid, vcpus=vcpus,
                                         memory_mb=memory_mb)


# --- resize and cold migration -----------------------------------------------------------

def _new_flavor(compute: Compute, ctx: RequestContext, found: Found, flavor_ref: str,
                is_admin: bool) -> flavors.Flavor:
    """:raises FlavorNotFound: :raises CannotResizeToSameFlavor: :raises CannotResizeDisk:"""
    with compute.api_db.reader() as conn:
        found_flavor = flavors.get(conn, flavor_ref,
                                   flavors.Viewer(ctx.project_id, is_admin))
    current = found.server.flavor
    if found_flavor.id == current.get("id"):
        raise exc.CannotResizeToSameFlavor()
    if found_flavor.disabled:
        raise exc.FlavorNotFound(flavor_id=flavor_ref)
    if found_flavor.root_gb == 0 and current.get("root_gb", 0) != 0:
        raise exc.CannotResizeDisk(reason="Resize to zero disk flavor is not allowed.")
    return found_flavor


def _check_image_fits(spec: RequestSpec, flavor: flavors.Flavor) -> None:
    """The server's image must still fit the new flavor (Nova's
    _validate_flavor_image_nostatus). :raises: 400s."""
    image = spec.image
    if image.min_ram and image.min_ram > flavor.memory_mb:
        raise exc.FlavorMemoryTooSmall()
    if spec.is_bfv or not flavor.root_gb:
        return
    size = max(image.size or 0, image.virtual_size or 0)
    if size > flavor.root_gb * GIB:
        raise exc.FlavorDiskSmallerThanImage(flavor_size=flavor.root_gb * GIB,
                                             image_size=size)
    if image.min_disk and image.min_disk > flavor.root_gb:
        raise exc.FlavorDiskSmallerThanMinDisk(flavor_size=flavor.root_gb * GIB,
                                               image_min_disk=image.min_disk * GIB)


def resize(compute: Compute, ctx: RequestContext, found: Found, flavor_ref: str,
           auto_disk_config: bool | None, is_admin: bool) -> None:
    """Resize to the flavor `flavor_ref` (the server's flavorid)."""
    action_ops.check_lock(found, is_admin)
    action_ops.check_state(found, "resize", (states.ACTIVE, states.STOPPED))
    check_host(compute, found)
    new = _new_flavor(compute, ctx, found, flavor_ref, is_admin)
    spec = request_spec(compute, found.server.uuid)
    _check_image_fits(spec, new)
    server = found.server
    quotas.check_resize(compute.conf, compute.api_db, server.project_id, server.user_id,
                        server.uuid, new.vcpus, new.memory_mb)
    flavor = Flavor.from_dict(dataclasses.asdict(new))
    spec.flavor = flavor
    if not compute.conf.compute.allow_resize_to_same_host:
        spec.ignore_hosts = [server.host or ""]
    try:
        _start(compute, ctx, found, "resize", flavor, spec, auto_disk_config, is_admin)
    except Exception:
        _set_size(compute, server.uuid, server.vcpus, server.memory_mb)
        raise


def migrate(compute: Compute, ctx: RequestContext, found: Found, host: str | None,
            is_admin: bool) -> None:
    """Cold-migrate to `host` (2.56), or where the scheduler says; never to its own host."""
    action_ops.check_lock(found, is_admin)
    action_ops.check_state(found, "migrate", (states.ACTIVE, states.STOPPED))
    check_host(compute, found)
    server = found.server
    spec = request_spec(compute, server.uuid)
    if host is not None:
        if host == server.host:
            raise exc.CannotMigrateToSameHost()
        assert found.cell is not None
        with compute.cells.db(found.cell).reader() as conn:
            nodes = compute_nodes.list_nodes(conn, host=host)
        if not nodes:
            raise exc.ComputeHostNotFound(host=host)
        spec.requested_host, spec.requested_node = host, nodes[0].hypervisor_hostname
    spec.ignore_hosts = [server.host or ""]
    flavor = Flavor.from_dict(server.flavor)
    spec.flavor = flavor
    _start(compute, ctx, found, "migrate", flavor, spec, None, is_admin)


def _start(compute: Compute, ctx: RequestContext, found: Found, name: str, flavor: Flavor,
           spec: RequestSpec, auto_disk_config: bool | None, is_admin: bool) -> None:
    spec.force_hosts, spec.force_nodes = [], []
    spec.num_attempts = 0
    record = action_ops.begin(
        compute, ctx, found, name=name, vm_states=(states.ACTIVE, states.STOPPED),
        values={"task_state": states.RESIZE_PREP, "progress": 0,
                "auto_disk_config": bool(auto_disk_config)}, is_admin=is_admin)
    compute.conductor.migrate_server(ctx, to_object(record), flavor, spec)


# --- confirm and revert ------------------------------------------------------------------

def _finished(compute: Compute, found: Found) -> moves.MigrationRecord:
    """The migration waiting for a confirm or revert.

    :raises MigrationNotFoundByStatus: (the server has not been resized)
    """
    assert found.cell is not None
    with compute.cells.db(found.cell).reader() as conn:
        return moves.by_instance_and_status(conn, found.server.uuid, "finished")


def confirm(compute: Compute, ctx: RequestContext, found: Found, is_admin: bool) -> None:
    """:raises MigrationNotFoundByStatus: :raises HostServiceUnavailable: ..."""
    action_ops.check_lock(found, is_admin)
    action_ops.check_state(found, "confirmResize", (states.RESIZED,))
    migration = _finished(compute, found)
    if not host_is_up(compute, found, migration.source_compute):
        raise exc.HostServiceUnavailable()
    start_confirm(compute, ctx, found, migration)


def start_confirm(compute: Compute, ctx: RequestContext, found: Found,
                  migration: moves.MigrationRecord) -> None:
    """Mark the migration confirming, record the action, cast to the source."""
    assert found.cell is not None
    server = found.server
    with compute.cells.db(found.cell).writer() as conn:
        try:
            migration = moves.update(conn, migration.id, {"status": "confirming"},
                                     expected_status=["finished"])
        except exc.InvalidMigrationState:
            raise exc.MigrationNotFoundByStatus(instance_id=server.uuid,
                                                status="finished") from None
        actions.start(conn, server.uuid, "confirmResize", ctx.request_id, ctx.user_id,
                      ctx.project_id)
    _set_size(compute, server.uuid, server.vcpus, server.memory_mb)
    compute.compute_api(found.cell).confirm_resize(
        ctx, migration.source_compute or "", to_object(server), to_migration(migration))


def revert(compute: Compute, ctx: RequestContext, found: Found, is_admin: bool) -> None:
    """:raises MigrationNotFoundByStatus: ..."""
    action_ops.check_lock(found, is_admin)
    action_ops.check_state(found, "revertResize", (states.RESIZED,))
    migration = _finished(compute, found)
    server = found.server
    old = server.old_flavor or server.flavor
    spec = request_spec(compute, server.uuid)
    if spec.flavor.id != old.get("id"):
        spec.flavor = Flavor.from_dict(old)
        save_spec(compute, spec)
    with compute.api_db.reader() as conn:
        zone = aggregates.host_availability_zone(conn, migration.source_compute or "",
                                                 compute.conf.compute.default_availability_zone)
    record = action_ops.begin(compute, ctx, found, name="revertResize",
                              vm_states=(states.RESIZED,),
                              values={"task_state": states.RESIZE_REVERTING,
                                      "availability_zone": zone},
                              is_admin=is_admin)
    assert found.cell is not None
    with compute.cells.db(found.cell).writer() as conn:
        migration = moves.update(conn, migration.id, {"status": "reverting"})
    _set_size(compute, server.uuid, int(old.get("vcpus", server.vcpus)),
              int(old.get("memory_mb", server.memory_mb)))
    compute.compute_api(found.cell).revert_resize(
        ctx, migration.dest_compute or "", to_object(record), to_migration(migration))


def confirm_on_delete(compute: Compute, ctx: RequestContext, found: Found) -> None:
    """A server deleted in VERIFY_RESIZE is confirmed first, so that its
    source is cleaned up and the migration's allocations go (Nova's
    _confirm_resize_on_deleting); with the source down, they go here."""
    if found.cell is None or found.server.vm_state != states.RESIZED:
        return
    try:
        migration = _finished(compute, found)
    except exc.MigrationNotFoundByStatus:
        return
    if host_is_up(compute, found, migration.source_compute):
        try:
            start_confirm(compute, ctx, found, migration)
        except exc.MigrationNotFoundByStatus:
            LOG.info("The resize of %s was confirmed meanwhile", found.server.uuid)
        return
    LOG.info("Source %s of %s is down: dropping its allocations as the server is deleted",
             migration.source_compute, found.server.uuid)
    try:
        compute.placement.delete_allocations(migration.uuid)
    except Exception:
        LOG.exception("Could not delete the allocations of migration %s", migration.uuid)
    with compute.cells.db(found.cell).writer() as conn:
        moves.update(conn, migration.id, {"status": "confirmed"})
