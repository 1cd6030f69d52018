"""The server side of a compute agent: one host's instances, through its virt driver.

The operations come in families, one mixin module each (builds.py, and
those added beside it: resize.py, live_migration.py, evacuate.py for the
moves, which share moving.py); AgentBase (base.py) holds what they share.
"""

from __future__ import annotations

import contextlib
import logging

from nimbus.common.context import RequestContext
from nimbus.common.messaging import oslo_messaging
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.base import BINARY, SERVICE_VERSION, AgentBase
from nimbus.compute.agent.builds import BuildMixin
from nimbus.compute.agent.deferred_delete import DeferredDeleteMixin
from nimbus.compute.agent.evacuate import EvacuateMixin
from nimbus.compute.agent.events import EventsMixin
from nimbus.compute.agent.guest import GuestMixin
from nimbus.compute.agent.live_migration import LiveMigrationMixin
from nimbus.compute.agent.periodic import PeriodicMixin
from nimbus.compute.agent.power import PowerMixin
from nimbus.compute.agent.rebuild import RebuildMixin
from nimbus.compute.agent.rescue import RescueMixin
from nimbus.compute.agent.resize import ResizeMixin
from nimbus.compute.agent.rpcapi import ComputeAPI
from nimbus.compute.agent.shelve import ShelveMixin
from nimbus.compute.agent.snapshots import SnapshotMixin
from nimbus.compute.objects.instance import Instance
from nimbus.compute.virt import driver as virt

LOG = logging.getLogger(__name__)

__all__ = ["BINARY", "SERVICE_VERSION", "ComputeManager"]


class ComputeManager(BuildMixin, PowerMixin, GuestMixin, DeferredDeleteMixin, EventsMixin,
                     ResizeMixin, LiveMigrationMixin, EvacuateMixin, PeriodicMixin,
                     SnapshotMixin, RebuildMixin, ShelveMixin, RescueMixin, AgentBase):
    target = oslo_messaging.Target(version=ComputeAPI.version())

    # --- the host ------------------------------------------------------------------------

    def init_host(self, ctxt: RequestContext) -> None:
        """Before serving: register, report resources, and settle instances
        the previous run of this agent left in the middle of something."""
        self.driver.init_host()
        service = self.conductor.service_register(ctxt, self.host, BINARY, ComputeAPI.TOPIC,
                                                  SERVICE_VERSION)
        self.service_id = service["id"]
        self.service_disabled = self.tracker.disabled = bool(service.get("disabled"))
        self.destroy_evacuated_instances(ctxt)
        instances = self.conductor.instances_on_host(ctxt, self.host)
        for instance in instances:
            self._settle(ctxt, instance)
        self.update_available_resource(ctxt)

    def _settle(self, ctxt: RequestContext, instance: Instance) -> None:
        if instance.vm_state == states.BUILDING or instance.task_state in (
                states.SCHEDULING, states.SPAWNING):
            # Nothing runs it any more: ERROR on no host with nothing claimed,
            # as a build that failed without retries ends.
            LOG.warning("Instance %s was being built when this agent stopped: ERROR",
                        instance.uuid)
            self._destroy_quietly(ctxt, instance)
            self._error(ctxt, instance, "The compute agent stopped while building the "
                        "instance.", {"host": None, "node": None})
            self._release(instance.uuid)
            return
        elif instance.task_state in (states.REBUILDING, states.REBUILD_BLOCK_DEVICE_MAPPING,
                                     states.REBUILD_SPAWNING):
            # Its guest may be half gone: ERROR, as Nova settles it.
            LOG.warning("Instance %s was being rebuilt when this agent stopped: ERROR",
                        instance.uuid)
            self._error(ctxt, instance, "The compute agent stopped while rebuilding the "
                        "instance.")
        elif instance.task_state == states.DELETING:
            LOG.info("Finishing the delete of %s", instance.uuid)
            self._terminate(ctxt, instance)
        elif instance.task_state == states.MIGRATING:
            self.reset_live_migration(ctxt, instance)
        elif instance.task_state is not None:
            LOG.warning("Instance %s was %s when this agent stopped; clearing the task",
                        instance.uuid, instance.task_state)
            self._update(ctxt, instance, {"task_state": None})
        self._sync_power(ctxt, instance)

    def _sync_power(self, ctxt: RequestContext, instance: Instance) -> None:
        try:
            info = self.driver.get_info(instance)
            power = info.power_state
        except virt.InstanceNotFound:
            power = states.NOSTATE
        if power != instance.power_state:
            with contextlib.suppress(exc.NotFound):
                self._update(ctxt, instance, {"power_state": power})

    def update_available_resource(self, ctxt: RequestContext) -> None:
        """Report resources, then repair allocations against the report."""
        assert self.service_id is not None
        instances = self.conductor.instances_on_host(ctxt, self.host)
        self.tracker.update(ctxt, self.service_id, instances)
        self.heal_allocations(ctxt, instances)

    def heartbeat(self, ctxt: RequestContext) -> None:
        """Report in; follow the service being disabled or enabled meanwhile."""
        assert self.service_id is not None
        service = self.conductor.service_heartbeat(ctxt, self.service_id)
        self._follow_disabled(bool(service.get("disabled")))

    def set_host_enabled(self, ctxt: RequestContext, enabled: bool) -> str:
        """The service was just enabled or disabled (os-services): follow at once."""
        self._follow_disabled(not enabled)
        return "enabled" if enabled else "disabled"

    def _follow_disabled(self, disabled: bool) -> None:
        self.service_disabled = disabled
        self.tracker.set_disabled(disabled)
