"""Evacuation in the conductor: a destination for an instance whose host is
down, claimed in placement, then the rebuild cast to the destination's agent.

As in Nova, the evacuated instance's consumer holds its source allocations
and its destination's together until the source's agent comes back and
cleans up (agent/evacuate.py). To let the scheduler claim the destination
for the instance, the source allocations wait on the migration's consumer
while it runs, then join the instance's again. An evacuation that finds no
destination leaves the instance in ERROR with a fault, as Nova's does.
"""

from __future__ import annotations

import logging

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.conductor.moving import MoveBase
from nimbus.compute.db.cell import moves
from nimbus.compute.db.mappings import CellMapping
from nimbus.compute.objects.convert import to_migration
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.migration import Migration, migration_id
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.placement import Conflict
from nimbus.compute.scheduler import request as placement_request

LOG = logging.getLogger(__name__)


class EvacuateMixin(MoveBase):
    def evacuate_instance(self, ctxt: RequestContext, instance: Instance,
                          migration: Migration, host: str | None, spec: RequestSpec,
                          admin_password: str | None, target_state: str | None) -> None:
        cell = self._cell_of(instance.uuid)
        _api, cells, _scheduler, _placement = self._require_super()
        with cells.db(cell).reader() as conn:
            record = moves.get(conn, migration_id(migration))
        with self._step(ctxt, cell, instance.uuid, "rebuild_server") as step:
            try:
                dest, node = self._evacuation_destination(ctxt, cell, instance, record, host,
                                                          spec)
            except (exc.NoValidHost, exc.ComputeHostNotFound) as err:
                LOG.info("No host to evacuate %s to: %s", instance.uuid, err)
                self._fail_move(cell, instance, {"vm_state": states.ERROR},
                           [states.REBUILDING], str(err))
                self._set_migration(cell, record.id, {"status": "error"})
                step.fail(str(err))
                return
        record = self._set_migration(cell, record.id, {"dest_compute": dest, "dest_node": node})
        try:
            instance = self._set_instance(cell, instance.uuid,
                                          {"availability_zone": self._zone_of(dest)},
                                          expected=[states.REBUILDING])
        except (exc.InstanceNotFound, exc.UnexpectedTaskState):
            LOG.info("Instance %s changed while its evacuation was scheduled", instance.uuid)
            self._set_migration(cell, record.id, {"status": "error"})
            return
        LOG.info("Evacuating %s from %s to %s (migration %s)", instance.uuid, instance.host,
                 dest, record.uuid)
        self.compute_api(cell).evacuate_instance(ctxt, dest, instance, to_migration(record),
                                                 spec.image, admin_password, target_state)

    def _evacuation_destination(self, ctxt: RequestContext, cell: CellMapping,
                                instance: Instance, record: moves.MigrationRecord,
                                host: str | None, spec: RequestSpec) -> tuple[str, str]:
        """(host, node), claimed for the instance beside its source.

        :raises NoValidHost: :raises ComputeHostNotFound:
        """
        _api, _cells, scheduler, placement = self._require_super()
        if host:
            node = self._node(cell, host)
            if not placement.claim_on(instance.uuid, node.uuid,
                                      placement_request.resources(spec),
                                      instance.project_id, instance.user_id):
                raise exc.NoValidHost(reason=f"Unable to claim resources on host {host}")
            return host, node.hypervisor_hostname
        held = self._hold_source(instance, record)
        spec.ignore_hosts = [instance.host or ""]
        spec.requested_cell = cell.uuid
        spec.num_instances = 1
        spec.force_hosts, spec.force_nodes = [], []
        try:
            chosen = scheduler.select_destinations(ctxt, spec, [instance.uuid],
                                                   return_alternates=False)[0][0]
        except Exception:
            if held:
                self._give_back_source(instance, record)
            raise
        if held:
            try:
                placement.merge_allocations(record.uuid, instance.uuid, instance.project_id,
                                            instance.user_id)
            except Conflict as err:
                LOG.error("Could not join the source allocations of %s to its destination: "
                          "%s", instance.uuid, err.detail)
                placement.delete_allocations(instance.uuid)
                self._give_back_source(instance, record)
                raise exc.NoValidHost(reason="Unable to claim resources on the "
                                      "destination") from None
        return chosen.service_host, chosen.nodename
