"""Resize and cold migration in the conductor: a migration record, the source
allocations held by it, a destination from the scheduler, the cast to the
destination's agent; and the periodic confirm of resizes left waiting.

The API has already checked the request and set task_state resize_prep; a
move that cannot start (no host) puts the instance back in its vm_state
with a fault, the migration in error and the allocations where they were.
"""

from __future__ import annotations

import datetime
import logging
import uuid

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.conductor.moving import MoveBase
from nimbus.compute.db import mappings
from nimbus.compute.db.cell import actions, moves
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.db.mappings import CellMapping
from nimbus.compute.objects.convert import to_migration, to_object
from nimbus.compute.objects.flavor import Flavor
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection

LOG = logging.getLogger(__name__)


class ResizeMixin(MoveBase):
    def migrate_server(self, ctxt: RequestContext, instance: Instance, flavor: Flavor,
                       spec: RequestSpec, clean_shutdown: bool = True) -> None:
        cell = self._cell_of(instance.uuid)
        with self._step(ctxt, cell, instance.uuid, "cold_migrate") as outcome:
            message = self._cold_migrate(ctxt, cell, instance, flavor, spec, clean_shutdown)
            if message:
                outcome.fail(message)

    def _cold_migrate(self, ctxt: RequestContext, cell: CellMapping, instance: Instance,
                      flavor: Flavor, spec: RequestSpec, clean_shutdown: bool) -> str | None:
        """Start the move; the reason it could not start, if it could not."""
        _api, _cells, scheduler, _placement = self._require_super()
        resize = flavor.id != instance.flavor.id
        record = self._create_migration(
            ctxt, cell, instance, status="pre-migrating", new_instance_type_id=flavor.id,
            migration_type="resize" if resize else "migration")
        spec.flavor = flavor
        spec.requested_cell = cell.uuid
        spec.num_instances = 1
        held = False
        try:
            held = self._hold_source(instance, record)
            chosen = scheduler.select_destinations(ctxt, spec, [instance.uuid])[0][0]
        except exc.NoValidHost as err:
            LOG.info("No destination for %s: %s", instance.uuid, err)
            reason = f"No valid host found for {'resize' if resize else 'cold migrate'}"
            self._fail_move(cell, instance, {}, [states.RESIZE_PREP],
                       str(exc.NoValidHost(reason=reason)))
            self._undo(cell, instance, record, held)
            return f"{err}\n{reason}"
        except Exception:
            LOG.exception("Scheduling the move of %s failed", instance.uuid)
            self._fail_move(cell, instance, {}, [states.RESIZE_PREP], "Scheduling the move failed")
            self._undo(cell, instance, record, held)
            raise
        self._send(ctxt, cell, instance, flavor, spec, record, chosen, clean_shutdown)
        return None

    def _send(self, ctxt: RequestContext, cell: CellMapping, instance: Instance,
              flavor: Flavor, spec: RequestSpec, record: moves.MigrationRecord,
              chosen: Selection, clean_shutdown: bool) -> None:
        """Record the destination and hand the move to its agent."""
        record = self._set_migration(cell, record.id, {
            "dest_compute": chosen.service_host, "dest_node": chosen.nodename})
        try:
            instance = self._set_instance(
                cell, instance.uuid, {"availability_zone": self._zone_of(chosen.service_host)},
                expected=[states.RESIZE_PREP])
        except (exc.InstanceNotFound, exc.UnexpectedTaskState):
            LOG.info("Instance %s changed while its move was scheduled; dropping it",
                     instance.uuid)
            self._undo(cell, instance, record, held=True)
            return
        self._save_spec(spec)
        LOG.info("Moving %s from %s to %s (migration %s)", instance.uuid, instance.host,
                 chosen.service_host, record.uuid)
        self.compute_api(cell).prep_resize(ctxt, chosen.service_host, instance,
                                           to_migration(record), flavor, spec.image,
                                           clean_shutdown)

    def _undo(self, cell: CellMapping, instance: Instance, record: moves.MigrationRecord,
              held: bool) -> None:
        """A move that did not start: its allocations back, its migration in error."""
        if held:
            self._give_back_source(instance, record)
        self._set_migration(cell, record.id, {"status": "error"})

    # --- the resize_confirm_window periodic -------------------------------------------------

    def confirm_expired_resizes(self, window: int) -> list[str]:
        """Confirm the resizes and cold migrations that waited in VERIFY_RESIZE
        longer than `window` seconds (Nova's _poll_unconfirmed_resizes); the
        uuids of the migrations confirmed."""
        _api, cells, _scheduler, _placement = self._require_super()
        cutoff = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=window)
        confirmed = []
        for cell in cells.all(include_cell0=False):
            with cells.db(cell).reader() as conn:
                waiting = moves.unconfirmed(conn, cutoff)
            for record in waiting:
                if self._auto_confirm(cell, record):
                    confirmed.append(record.uuid)
        return confirmed

    def _auto_confirm(self, cell: CellMapping, record: moves.MigrationRecord) -> bool:
        api_db, cells, _scheduler, _placement = self._require_super()
        ctxt = RequestContext(request_id=f"req-{uuid.uuid4()}", is_admin=True)
        with cells.db(cell).writer() as conn:
            try:
                instance = cell_instances.get(conn, record.instance_uuid)
            except exc.InstanceNotFound:
                moves.update(conn, record.id, {"status": "error"})
                return False
            if instance.task_state is not None:
                LOG.info("Not confirming the resize of %s: it is %s", instance.uuid,
                         instance.task_state)
                return False
            if instance.vm_state != states.RESIZED:
                LOG.warning("Instance %s waits for a confirm but is %s; migration %s in "
                            "error", instance.uuid, instance.vm_state, record.uuid)
                moves.update(conn, record.id, {"status": "error"})
                return False
            try:
                record = moves.update(conn, record.id, {"status": "confirming"},
                                      expected_status=["finished"])
            except exc.InvalidMigrationState:
                return False  # confirmed by someone else meanwhile
            actions.start(conn, instance.uuid, "confirmResize", ctxt.request_id,
                          instance.user_id, instance.project_id)
        with api_db.writer() as conn:
            mappings.update_instance_mapping(conn, instance.uuid, vcpus=instance.vcpus,
                                             memory_mb=instance.memory_mb)
        LOG.info("Confirming the resize of %s: it waited longer than the confirm window",
                 instance.uuid)
        self.compute_api(cell).confirm_resize(ctxt, record.source_compute or "",
                                              to_object(instance), to_migration(record))
        return True
