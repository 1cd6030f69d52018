"""Live migration in the conductor: the checks before the guest moves
(Nova's LiveMigrationTask), then the cast to the source's agent.

The source allocations move to the migration's consumer; the destination
is claimed for the instance (by the scheduler, or here when the caller
forced a host); each candidate destination's agent is asked whether it can
take the guest, and one that cannot is dropped and the next tried. A check
that fails puts the instance back (task cleared, vm_state kept) with the
allocations where they were and the migration in error.
"""

from __future__ import annotations

import logging

from nimbus.common import rpc
from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.conductor.moving import MoveBase
from nimbus.compute.db.cell import compute_nodes, moves
from nimbus.compute.db.mappings import CellMapping
from nimbus.compute.objects.convert import to_migration
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.scheduler import request as placement_request

LOG = logging.getLogger(__name__)

CHECK_FAILURES = exc.LIVE_MIGRATION_CHECK_FAILURES


class LiveMigrationMixin(MoveBase):
    @rpc.expected_exceptions(*CHECK_FAILURES)
    def live_migrate_instance(self, ctxt: RequestContext, instance: Instance,
                              host: str | None, force: bool, block_migration: bool | None,
                              spec: RequestSpec, wait: bool = False) -> None:
        cell = self._cell_of(instance.uuid)
        record = self._create_migration(ctxt, cell, instance, status="accepted",
                                        migration_type="live-migration", dest_compute=host)
        with self._step(ctxt, cell, instance.uuid, "conductor_live_migrate_instance") as step:
            try:
                dest, node, migrate_data = self._live_checks(ctxt, cell, instance, record,
                                                             host, force, block_migration,
                                                             spec)
            except CHECK_FAILURES as err:
                LOG.info("Live migration of %s refused: %s", instance.uuid, err)
                self._abandon_live(cell, instance, record, {}, str(err))
                step.fail(str(err))
                if wait:
                    raise
                return
            except Exception as err:
                LOG.exception("Live migration of %s failed unexpectedly", instance.uuid)
                self._abandon_live(cell, instance, record, {"vm_state": states.ERROR}, str(err))
                raise exc.MigrationError(reason=str(err)) from None
        record = self._set_migration(cell, record.id, {
            "source_node": instance.node, "dest_compute": dest, "dest_node": node})
        try:
            instance = self._set_instance(cell, instance.uuid,
                                          {"availability_zone": self._zone_of(dest)},
                                          expected=[states.MIGRATING])
        except (exc.InstanceNotFound, exc.UnexpectedTaskState):
            self._abandon_live(cell, instance, record, {}, "the instance changed meanwhile")
            return
        LOG.info("Live-migrating %s from %s to %s (migration %s)", instance.uuid,
                 instance.host, dest, record.uuid)
        self.compute_api(cell).live_migration(ctxt, instance.host or "", instance, dest,
                                              to_migration(record), migrate_data)

    def _abandon_live(self, cell: CellMapping, instance: Instance,
                      record: moves.MigrationRecord, values: dict[str, object],
                      message: str) -> None:
        """The checks failed: allocations back, task cleared, migration in error."""
        self._give_back_source(instance, record)
        self._fail_move(cell, instance, dict(values), [states.MIGRATING], message)
        self._set_migration(cell, record.id, {"status": "error"})

    def _live_checks(self, ctxt: RequestContext, cell: CellMapping, instance: Instance,
                     record: moves.MigrationRecord, host: str | None, force: bool,
                     block_migration: bool | None,
                     spec: RequestSpec) -> tuple[str, str, dict[str, object]]:
        """(destination host, node, migrate data); the destination claimed.

        :raises: one of CHECK_FAILURES.
        """
        if instance.power_state not in (states.RUNNING, states.PAUSED_POWER):
            raise exc.InstanceInvalidState(
                action="live migrate", instance_uuid=instance.uuid, attr="power_state",
                state=states.POWER_STATE_NAMES.get(instance.power_state, "pending"))
        if not self._host_is_up(cell, instance.host):
            raise exc.ComputeServiceUnavailable(host=instance.host)
        self._hold_source(instance, record)
        if host and force:
            return self._forced_destination(ctxt, cell, instance, host, block_migration, spec)
        return self._scheduled_destination(ctxt, cell, instance, host, block_migration, spec)

    def _forced_destination(self, ctxt: RequestContext, cell: CellMapping,
                            instance: Instance, host: str, block_migration: bool | None,
                            spec: RequestSpec) -> tuple[str, str, dict[str, object]]:
        """A host the caller forced: checked here, claimed without the scheduler."""
        _api, _cells, _scheduler, placement = self._require_super()
        if host == instance.host:
            raise exc.UnableToMigrateToSelf(instance_id=instance.uuid, host=host)
        if not self._host_is_up(cell, host):
            raise exc.ComputeServiceUnavailable(host=host)
        node = self._compatible(cell, instance, host)
        if not placement.claim_on(instance.uuid, node.uuid, placement_request.resources(spec),
                                  instance.project_id, instance.user_id):
            raise exc.MigrationPreCheckError(
                reason=f"Unable to migrate instance {instance.uuid} to host {host}. There is "
                "not enough capacity on the host for the instance.")
        try:
            data = self.compute_api(cell).check_can_live_migrate_destination(
                ctxt, host, instance, block_migration)
        except Exception:
            placement.delete_allocations(instance.uuid)
            raise
        return host, node.hypervisor_hostname, data

    def _scheduled_destination(self, ctxt: RequestContext, cell: CellMapping,
                               instance: Instance, host: str | None,
                               block_migration: bool | None,
                               spec: RequestSpec) -> tuple[str, str, dict[str, object]]:
        """The scheduler's choice (among `host` only, when one was asked for),
        retried without each host whose agent refuses the guest."""
        _api, _cells, scheduler, placement = self._require_super()
        attempted = [instance.host or ""]
        spec.requested_host = host
        spec.requested_node = None
        spec.force_hosts, spec.force_nodes = [], []
        spec.requested_cell = cell.uuid
        spec.num_instances = 1
        while True:
            spec.ignore_hosts = list(attempted)
            chosen = scheduler.select_destinations(ctxt, spec, [instance.uuid],
                                                   return_alternates=False)[0][0]
            try:
                self._compatible(cell, instance, chosen.service_host)
                data = self.compute_api(cell).check_can_live_migrate_destination(
                    ctxt, chosen.service_host, instance, block_migration)
            except (exc.MigrationPreCheckError, exc.InvalidHypervisorType) as err:
                LOG.info("Host %s cannot take %s: %s", chosen.service_host, instance.uuid, err)
                placement.delete_allocations(instance.uuid)
                attempted.append(chosen.service_host)
                continue
            return chosen.service_host, chosen.nodename, data

    def _compatible(self, cell: CellMapping, instance: Instance,
                    host: str) -> compute_nodes.ComputeNode:
        """The destination's node, if its hypervisor can take the guest.

        :raises ComputeHostNotFound: :raises InvalidHypervisorType:
        :raises MigrationPreCheckError: (an older hypervisor)
        """
        source = self._node(cell, instance.host or "")
        dest = self._node(cell, host)
        if source.hypervisor_type != dest.hypervisor_type:
            raise exc.InvalidHypervisorType()
        if source.hypervisor_version > dest.hypervisor_version:
            raise exc.MigrationPreCheckError(
                reason="The instance requires a newer hypervisor version than has been "
                "provided.")
        return dest
