"""What the conductor's moves share: migration records, the instance action
events of the conductor's steps, failures that end in a final state, and
placement allocations held by a migration while its instance moves.

Moves follow Nova's migration-based allocations: before a destination is
claimed, what the instance holds on its source moves to the migration's
uuid as consumer, so that the instance's own consumer can claim the
destination; the migration's allocations are dropped once the source is
cleaned up, or handed back to the instance when the move is undone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute.db import aggregates, build_requests
from nimbus.compute.db.cell import actions, compute_nodes, moves, services
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.objects.convert import to_migration, to_object
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.migration import Migration
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.placement import CONSUMER_TYPE, Conflict

if TYPE_CHECKING:
    from nimbus.common.db import Database
    from nimbus.compute.cells import Cells
    from nimbus.compute.db.mappings import CellMapping
    from nimbus.compute.placement import PlacementClient
    from nimbus.compute.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)

COMPUTE_BINARY = "nova-compute"
# What a request spec keeps between moves: the hosts to avoid and the host
# asked for concern one move only, as Nova's RequestSpec.save() drops them.
_TRANSIENT: dict[str, Any] = {"ignore_hosts": [], "requested_host": None, "requested_node": None,
              "force_hosts": [], "force_nodes": [], "num_attempts": 0}


@dataclasses.dataclass
class Outcome:
    """How a conductor step ended, for its instance action event."""

    error: str | None = None

    def fail(self, message: str) -> None:
        self.error = message


class MoveBase:
    """The plumbing of ResizeMixin, LiveMigrationMixin and EvacuateMixin."""

    if TYPE_CHECKING:  # provided by ConductorManager
        host: str
        api_db: Database | None
        cells: Cells | None
        cell_db: Database | None
        scheduler: SchedulerAPI | None
        placement: PlacementClient | None
        compute_api: Any
        default_az: str
        down_time: int

        def _cell_db(self) -> Database: ...

        def _require_super(self) -> tuple[Database, Cells, SchedulerAPI,
                                          PlacementClient]: ...

        def _cell_of(self, instance_uuid: str) -> CellMapping: ...

    # --- the agents' migration records (a cell's conductor) ------------------------------

    def migration_get(self, ctxt: RequestContext, migration_id: int) -> Migration:
        with self._cell_db().reader() as conn:
            return to_migration(moves.get(conn, migration_id))

    def migration_update(self, ctxt: RequestContext, migration_id: int,
                         values: dict[str, Any],
                         expected_status: list[str] | None = None) -> Migration:
        with self._cell_db().writer() as conn:
            return to_migration(moves.update(conn, migration_id, values, expected_status))

    def migrations_in_progress(self, ctxt: RequestContext, instance_uuid: str,
                               migration_type: str | None = None) -> list[Migration]:
        with self._cell_db().reader() as conn:
            return [to_migration(m) for m in moves.in_progress(conn, instance_uuid,
                                                                migration_type)]

    def evacuations_from(self, ctxt: RequestContext, host: str) -> list[dict[str, Any]]:
        with self._cell_db().reader() as conn:
            found = moves.list_migrations(conn, moves.Filters(
                source_compute=host, status=list(moves.EVACUATION_PENDING),
                migration_type="evacuation"))
            nodes = {n.hypervisor_hostname: n.uuid
                     for n in compute_nodes.list_nodes(conn, host=host)}
            records = {r.uuid: r for r in cell_instances.get_many(
                conn, {m.instance_uuid for m in found}, read_deleted="yes",
                extras=cell_instances.Extras(metadata=False, tags=False, info_cache=False,
                                             fault=False))}
        return [{"migration": to_migration(m),
                 "instance": to_object(records[m.instance_uuid])
                 if m.instance_uuid in records else None,
                 "source_node_uuid": nodes.get(m.source_node or "")} for m in found]

    # --- the super conductor's helpers ----------------------------------------------------

    @contextlib.contextmanager
    def _step(self, ctxt: RequestContext, cell: CellMapping, instance_uuid: str,
              name: str) -> Iterator[Outcome]:
        """The instance action event `name` around a conductor step; the step
        reports a handled failure through the Outcome, an unhandled one by raising."""
        _api, cells, _scheduler, _placement = self._require_super()
        db = cells.db(cell)
        with contextlib.suppress(exc.NotFound), db.writer() as conn:
            actions.event_start(conn, instance_uuid, ctxt.request_id, name, self.host)
        outcome = Outcome()
        try:
            yield outcome
        except Exception:
            outcome.fail(traceback.format_exc())
            raise
        finally:
            with contextlib.suppress(exc.NotFound), db.writer() as conn:
                actions.event_finish(conn, instance_uuid, ctxt.request_id, name,
                                     "Error" if outcome.error else "Success", outcome.error)

    def _fail_move(self, cell: CellMapping, instance: Instance, values: dict[str, Any],
              expected: list[str | None], message: str) -> None:
        """End a move that did not start: the instance gets `values` (its task
        cleared) and a fault, unless it moved on meanwhile (deleted, say)."""
        _api, cells, _scheduler, _placement = self._require_super()
        with cells.db(cell).writer() as conn:
            try:
                cell_instances.update(conn, instance.uuid, {"task_state": None, **values},
                                      expected_task_state=expected)
            except (exc.InstanceNotFound, exc.UnexpectedTaskState) as err:
                LOG.info("Not resetting %s after a failed move: %s", instance.uuid, err)
                return
            cell_instances.add_fault(conn, instance.uuid, 500, message,
                                     traceback.format_exc(), self.host)

    def _create_migration(self, ctxt: RequestContext, cell: CellMapping, instance: Instance,
                          **values: Any) -> moves.MigrationRecord:
        _api, cells, _scheduler, _placement = self._require_super()
        row = {"instance_uuid": instance.uuid, "source_compute": instance.host,
               "source_node": instance.node, "old_instance_type_id": instance.flavor.id,
               "new_instance_type_id": instance.flavor.id, "user_id": ctxt.user_id,
               "project_id": ctxt.project_id, **values}
        with cells.db(cell).writer() as conn:
            return moves.create(conn, row)

    def _set_migration(self, cell: CellMapping, migration_id: int,
                       values: dict[str, Any]) -> moves.MigrationRecord:
        _api, cells, _scheduler, _placement = self._require_super()
        with cells.db(cell).writer() as conn:
            return moves.update(conn, migration_id, values)

    def _set_instance(self, cell: CellMapping, instance_uuid: str, values: dict[str, Any],
                      expected: list[str | None]) -> Instance:
        _api, cells, _scheduler, _placement = self._require_super()
        with cells.db(cell).writer() as conn:
            return to_object(cell_instances.update(conn, instance_uuid, values,
                                                   expected_task_state=expected))

    def _zone_of(self, host: str) -> str:
        api_db, _cells, _scheduler, _placement = self._require_super()
        with api_db.reader() as conn:
            return aggregates.host_availability_zone(conn, host, self.default_az)

    def _save_spec(self, spec: RequestSpec) -> None:
        """Keep the request spec (its flavor, after a resize) for the next move."""
        api_db, _cells, _scheduler, _placement = self._require_super()
        values = {**spec.to_dict(), **_TRANSIENT}
        with api_db.writer() as conn:
            build_requests.save_spec(conn, spec.instance_uuid, values)

    def _host_is_up(self, cell: CellMapping, host: str | None) -> bool:
        _api, cells, _scheduler, _placement = self._require_super()
        if not host:
            return False
        with cells.db(cell).reader() as conn:
            agents = services.list_services(conn, host=host, binary=COMPUTE_BINARY)
        now = datetime.datetime.now(datetime.UTC)
        return any(s.is_up(now, self.down_time) for s in agents)

    def _node(self, cell: CellMapping, host: str) -> compute_nodes.ComputeNode:
        """:raises ComputeHostNotFound:"""
        _api, cells, _scheduler, _placement = self._require_super()
        with cells.db(cell).reader() as conn:
            found = compute_nodes.list_nodes(conn, host=host)
        if not found:
            raise exc.ComputeHostNotFound(host=host)
        return found[0]

    # --- allocations -------------------------------------------------------------------------

    def _hold_source(self, instance: Instance, migration: moves.MigrationRecord) -> bool:
        """Move the instance's allocations to the migration; False when it had none.

        :raises NoValidHost: placement refused the swap (a concurrent change).
        """
        _api, _cells, _scheduler, placement = self._require_super()
        try:
            return placement.move_allocations(instance.uuid, migration.uuid,
                                              instance.project_id, instance.user_id)
        except Conflict as err:
            LOG.warning("Could not move the allocations of %s to migration %s: %s",
                        instance.uuid, migration.uuid, err.detail)
            raise exc.NoValidHost(reason="Unable to replace instance claim on source") from None

    def _give_back_source(self, instance: Instance, migration: moves.MigrationRecord) -> None:
        """Undo _hold_source: what the migration holds goes back to the instance
        (replacing any destination claim the instance made meanwhile)."""
        _api, _cells, _scheduler, placement = self._require_super()
        try:
            placement.move_allocations(migration.uuid, instance.uuid, instance.project_id,
                                       instance.user_id, target_type=CONSUMER_TYPE)
        except Exception:
            LOG.exception("Could not give the allocations of migration %s back to %s",
                          migration.uuid, instance.uuid)
