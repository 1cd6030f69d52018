"""An agent's periodic repairs: what the database says against what the driver
and placement say.

- Power states (Nova's _sync_power_states): the driver's power state is
  recorded; an ACTIVE instance the guest shut down itself is stopped through
  the stop action, a STOPPED one found running is forced off; one the driver
  lost keeps its state and is only logged, as Nova does.
- Allocations (with each resource report): an instance on this host without
  allocations gets its flavor's back; allocations on this host's providers
  held by instances the cell has deleted are removed.
- Guests the cell deleted (running_deleted_instance_action): reaped,
  powered off or logged.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.base import AgentBase
from nimbus.compute.objects.instance import Instance
from nimbus.compute.scheduler.request import resources_from_flavor
from nimbus.compute.virt import driver as virt

LOG = logging.getLogger(__name__)

_SHUT = (states.SHUTDOWN, states.CRASHED)
# vm_states whose instances hold no allocation on their host.
_UNCLAIMED = (states.BUILDING, states.SHELVED_OFFLOADED, states.DELETED, states.SOFT_DELETED)


class PeriodicMixin(AgentBase):
    # The stop that the power sync asks for (PowerMixin provides it).
    stop_instance: Any

    # --- power states --------------------------------------------------------------

    def sync_power_states(self, ctxt: RequestContext) -> None:
        instances = self.conductor.instances_on_host(ctxt, self.host)
        on_driver = len(self.driver.list_instance_uuids())
        if on_driver != len(instances):
            LOG.warning("While synchronizing instance power states, found %d instances in "
                        "the database and %d instances on the hypervisor.", len(instances),
                        on_driver)
        for instance in instances:
            try:
                with self._locked(instance.uuid):
                    stop = self._sync_power_state(ctxt, instance)
                if stop:
                    self._stop_from_sync(ctxt, instance)
            except Exception:
                LOG.exception("Power state sync of %s failed", instance.uuid)

    def _sync_power_state(self, ctxt: RequestContext, instance: Instance) -> bool:
        """Record the driver's power state; whether the instance must be stopped."""
        try:
            instance = self.conductor.instance_get(ctxt, instance.uuid)
        except exc.InstanceNotFound:
            return False
        if instance.host != self.host or instance.task_state is not None:
            return False  # moving away, or an action is under way: next time
        try:
            power = self.driver.get_info(instance).power_state
        except virt.InstanceNotFound:
            power = states.NOSTATE
        if power != instance.power_state:
            LOG.info("The database has power state %s for %s, the hypervisor %s: recording "
                     "the hypervisor's", instance.power_state, instance.uuid, power)
            try:
                instance = self._update(ctxt, instance, {"power_state": power},
                                        expected=[None])
            except (exc.UnexpectedTaskState, exc.InstanceNotFound):
                return False
        vm_state = instance.vm_state
        if vm_state == states.ACTIVE:
            if power in _SHUT or power == states.SUSPENDED_POWER:
                LOG.warning("Instance %s shut down by itself; stopping it", instance.uuid)
                return True
            if power == states.PAUSED_POWER:
                LOG.warning("Instance %s is paused unexpectedly. Ignore.", instance.uuid)
            elif power == states.NOSTATE:
                LOG.warning("Instance %s is unexpectedly not found. Ignore.", instance.uuid)
        elif vm_state == states.STOPPED and power not in (states.NOSTATE, *_SHUT):
            LOG.warning("Instance %s is not stopped; forcing it off", instance.uuid)
            return True
        elif vm_state == states.PAUSED and power in _SHUT:
            LOG.warning("Paused instance %s shut down by itself; stopping it", instance.uuid)
            return True
        return False

    def _stop_from_sync(self, ctxt: RequestContext, instance: Instance) -> None:
        """The stop action, on the instance's own behalf (Nova's compute_api.stop
        and force_stop from the sync)."""
        try:
            instance = self._update(ctxt, instance, {"task_state": states.POWERING_OFF},
                                    expected=[None])
        except (exc.UnexpectedTaskState, exc.InstanceNotFound):
            return
        self._quietly(self.conductor.instance_action_start, ctxt, instance.uuid, "stop")
        self.stop_instance(ctxt, instance)

    # --- allocations ---------------------------------------------------------------------

    def heal_allocations(self, ctxt: RequestContext, instances: list[Instance]) -> None:
        """Allocations back for instances on this host that lost theirs; none
        for instances the cell deleted."""
        for nodename, node_uuid in self.tracker.node_uuids.items():
            held = self.placement.provider_allocations(node_uuid)
            here = [i for i in instances if i.node == nodename]
            for instance in here:
                if (instance.uuid in held or instance.task_state is not None
                        or instance.vm_state in _UNCLAIMED):
                    continue
                self._heal(instance, node_uuid)
            strangers = sorted(set(held) - {i.uuid for i in instances})
            if strangers:
                for gone in self.conductor.instances_get_deleted(ctxt, strangers):
                    LOG.info("Instance %s was deleted; removing its allocations on %s",
                             gone.uuid, nodename)
                    self._release(gone.uuid)

    def _heal(self, instance: Instance, node_uuid: str) -> None:
        wanted = resources_from_flavor(instance.flavor, is_bfv=not instance.image_ref)
        LOG.warning("Instance %s on %s has no allocations; claiming %s", instance.uuid,
                    self.host, wanted)
        request = {"allocations": {node_uuid: {"resources": wanted}}}
        if not self.placement.claim(instance.uuid, request, instance.project_id,
                                    instance.user_id):
            LOG.error("Could not heal the allocations of %s", instance.uuid)

    # --- guests the cell deleted -------------------------------------------------------------

    def cleanup_running_deleted_instances(self, ctxt: RequestContext) -> None:
        action = self.conf.compute.running_deleted_instance_action
        if action == "noop":
            return
        running = self.driver.list_instance_uuids()
        if not running:
            return
        timeout = int(self.conf.compute.running_deleted_instance_timeout)
        now = datetime.datetime.now(datetime.UTC)
        for instance in self.conductor.instances_get_deleted(ctxt, running):
            deleted_at = instance.deleted_at
            if deleted_at is not None and (now - deleted_at).total_seconds() < timeout:
                continue
            self._handle_running_deleted(ctxt, instance, action)

    def _handle_running_deleted(self, ctxt: RequestContext, instance: Instance,
                                action: str) -> None:
        name = instance.name
        if action == "log":
            LOG.warning("Detected instance with name label '%s' which is marked as DELETED "
                        "but still present on host.", name)
        elif action == "shutdown":
            LOG.info("Powering off instance with name label '%s' which is marked as DELETED "
                     "but still present on host.", name)
            try:
                self.driver.power_off(instance)
            except Exception:
                LOG.warning("Failed to power off instance %s", instance.uuid, exc_info=True)
        else:
            LOG.info("Destroying instance with name label '%s' which is marked as DELETED "
                     "but still present on host.", name)
            with self._locked(instance.uuid):
                try:
                    self.driver.destroy(ctxt, instance, [], True)
                except Exception as err:
                    LOG.warning("Periodic cleanup failed to delete instance: %s", err)
