"""Live migration (and forcing or aborting one) and evacuation: what the API
checks before it hands them to the conductor or the source's agent (Nova's
compute API live_migrate, live_migrate_force_complete, live_migrate_abort
and evacuate).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.db import mappings
from nimbus.compute.db.cell import actions, compute_nodes, moves, services
from nimbus.compute.objects.convert import to_migration, to_object
from nimbus.compute.ops import actions as action_ops
from nimbus.compute.ops.lookup import Found
from nimbus.compute.ops.resize import COMPUTE_BINARY, host_is_up, request_spec

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

LOG = logging.getLogger(__name__)

# Live migrations an abort may stop: running ones, and from 2.65 those not started.
ABORTABLE = ("running",)
ABORTABLE_V2_65 = ("running", "queued", "preparing")


def _compute_host_known(compute: Compute, host: str) -> bool:
    """Whether `host` runs a compute agent in some cell (Nova's
    service_get_by_compute_host / ComputeNodeList.get_all_by_host)."""
    with compute.api_db.reader() as conn:
        try:
            cell = mappings.host_cell(conn, host)
        except exc.HostMappingNotFound:
            return False
    with compute.cells.db(cell).reader() as conn:
        return bool(services.list_services(conn, host=host, binary=COMPUTE_BINARY)
                    or compute_nodes.list_nodes(conn, host=host))


# --- live migration -------------------------------------------------------------------------

def live_migrate(compute: Compute, ctx: RequestContext, found: Found, host: str | None,
                 block_migration: bool | None, force: bool | None, wait: bool,
                 is_admin: bool) -> None:
    """Live-migrate to `host` (forced unless `force` is False: before 2.30 a
    named host skips the scheduler), or where the scheduler says. With `wait`
    (before 2.34) the conductor's checks run before the answer.

    :raises ComputeHostNotFound: :raises InstanceInvalidState: ... and, with
        `wait`, the conductor's CHECK_FAILURES.
    """
    action_ops.check_lock(found, is_admin)
    action_ops.check_state(found, "os-migrateLive", (states.ACTIVE, states.PAUSED))
    if host and not _compute_host_known(compute, host):
        raise exc.ComputeHostNotFound(host=host)
    spec = request_spec(compute, found.server.uuid)
    record = action_ops.begin(compute, ctx, found, name="os-migrateLive",
                              record_as="live-migration",
                              vm_states=(states.ACTIVE, states.PAUSED),
                              values={"task_state": states.MIGRATING}, is_admin=is_admin)
    compute.conductor.live_migrate_instance(
        ctx, to_object(record), host, force is not False, block_migration, spec, wait=wait)


def live_migration_of(compute: Compute, found: Found, migration_id: str
                      ) -> moves.MigrationRecord:
    """The migration `migration_id` (from a URL) of the server.

    :raises MigrationNotFoundForInstance:
    """
    assert found.cell is not None
    try:
        ident = int(migration_id)
    except ValueError:
        raise exc.MigrationNotFoundForInstance(migration_id=migration_id,
                                               instance_id=found.server.uuid) from None
    with compute.cells.db(found.cell).reader() as conn:
        return moves.get_for_instance(conn, ident, found.server.uuid)


def _record_action(compute: Compute, ctx: RequestContext, found: Found, name: str) -> None:
    assert found.cell is not None
    with compute.cells.db(found.cell).writer() as conn:
        actions.start(conn, found.server.uuid, name, ctx.request_id, ctx.user_id,
                      ctx.project_id)


def force_complete(compute: Compute, ctx: RequestContext, found: Found, migration_id: str,
                   is_admin: bool) -> None:
    """:raises MigrationNotFoundForInstance: :raises InvalidMigrationState: ..."""
    action_ops.check_lock(found, is_admin)
    action_ops.check_state(found, "force_complete", (states.ACTIVE,), (states.MIGRATING,))
    migration = live_migration_of(compute, found, migration_id)
    if migration.status != "running":
        raise exc.InvalidMigrationState(migration_id=migration.id,
                                        instance_uuid=found.server.uuid,
                                        state=migration.status, method="force complete")
    _record_action(compute, ctx, found, "live_migration_force_complete")
    assert found.cell is not None
    compute.compute_api(found.cell).live_migration_force_complete(
        ctx, migration.source_compute or "", to_object(found.server))


def abort(compute: Compute, ctx: RequestContext, found: Found, migration_id: str,
          in_queue: bool, is_admin: bool) -> None:
    """:raises MigrationNotFoundForInstance: :raises InvalidMigrationState: ..."""
    action_ops.check_lock(found, is_admin)
    action_ops.check_state(found, "abort live migration", None, (states.MIGRATING,))
    migration = live_migration_of(compute, found, migration_id)
    if migration.status not in (ABORTABLE_V2_65 if in_queue else ABORTABLE):
        raise exc.InvalidMigrationState(migration_id=migration.id,
                                        instance_uuid=found.server.uuid,
                                        state=migration.status,
                                        method="abort live migration")
    _record_action(compute, ctx, found, "live_migration_cancel")
    assert found.cell is not None
    compute.compute_api(found.cell).live_migration_abort(
        ctx, migration.source_compute or "", to_object(found.server), migration.id)


# --- evacuation -------------------------------------------------------------------------------

class EvacuateHostNotFound(exc.NotFound):
    msg_fmt = "Compute host %(host)s not found."


class EvacuateToSameHost(exc.Invalid):
    msg_fmt = "The target host can't be the same one."


def evacuate(compute: Compute, ctx: RequestContext, found: Found, host: str | None,
             admin_password: str | None, forced: bool, target_state: str | None) -> None:
    """Rebuild a server whose host is down elsewhere: on `host` (skipping the
    scheduler when `forced`) or where the scheduler says.

    :raises EvacuateHostNotFound: :raises EvacuateToSameHost:
    :raises InstanceInvalidState: :raises ComputeServiceInUse:
    """
    server = found.server
    if not server.host:  # never scheduled: no host to evacuate it from (Nova: 404)
        raise exc.ComputeHostNotFound(host=server.host)
    if host is not None and not _compute_host_known(compute, host):
        raise EvacuateHostNotFound(host=host)
    if host is not None and host == server.host:
        raise EvacuateToSameHost()
    # Any task: a server can be evacuated whatever its dead host was doing.
    evacuable = (states.ACTIVE, states.STOPPED, states.ERROR)
    action_ops.check_state(found, "evacuate", evacuable, None)
    if host_is_up(compute, found, server.host):
        raise exc.ComputeServiceInUse(host=server.host)
    spec = request_spec(compute, server.uuid)
    record = action_ops.begin(compute, ctx, found, name="evacuate", vm_states=evacuable,
                              task_states=None, values={"task_state": states.REBUILDING},
                              check_locked=False)
    assert found.cell is not None
    with compute.cells.db(found.cell).writer() as conn:
        # A tombstone the source's agent finds when it comes back.
        migration = moves.create(conn, {
            "instance_uuid": server.uuid, "source_compute": server.host,
            "source_node": server.node, "dest_compute": host, "status": "accepted",
            "migration_type": "evacuation", "old_instance_type_id": server.instance_type_id,
            "new_instance_type_id": server.instance_type_id, "user_id": ctx.user_id,
            "project_id": ctx.project_id})
    if host and not forced:
        spec.requested_host = host
    compute.conductor.evacuate_instance(ctx, to_object(record), to_migration(migration),
                                        host if forced else None, spec, admin_password,
                                        target_state)
