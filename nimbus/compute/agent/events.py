"""External events other services send about instances on this host
(POST /os-server-external-events, dispatched by the API to the host)."""

from __future__ import annotations

import logging
from typing import Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.base import AgentBase
from nimbus.compute.objects.instance import Instance

LOG = logging.getLogger(__name__)

POWER_ON = "POWER_ON"
POWER_OFF = "POWER_OFF"


class EventsMixin(AgentBase):
    def external_instance_event(self, ctxt: RequestContext, instances: list[Instance],
                                events: list[dict[str, Any]]) -> None:
        """Act on each event: power updates change states, volume extensions
        are recorded; the network events have nothing to refresh or wake up
        until a network service feeds the info cache and builds wait for ports."""
        by_uuid = {i.uuid: i for i in instances}
        for event in events:
            instance = by_uuid.get(event["server_uuid"])
            if instance is None:
                continue
            name, tag = event["name"], event.get("tag")
            LOG.debug("Received event %s-%s for %s", name, tag, instance.uuid)
            if name == "power-update":
                self._power_update(ctxt, instance, tag or "")
            elif name == "volume-extended":
                self._extend_volume(ctxt, instance, tag)
            else:
                LOG.info("Event %s for %s: nothing waits for it here", name, instance.uuid)

    def _extend_volume(self, ctxt: RequestContext, instance: Instance,
                       volume_id: str | None) -> None:
        with self._event(ctxt, instance.uuid, "extend_volume"):
            # As Nova when the volume is not attached: nothing to resize.
            LOG.warning("Extend volume failed, volume %s is not attached to instance %s",
                        volume_id, instance.uuid)

    def _power_update(self, ctxt: RequestContext, instance: Instance, target: str) -> None:
        """The guest was powered on or off out of band: follow it, when the
        server is idle in the opposite state (otherwise a no-op, as Nova)."""
        on = target == POWER_ON
        valid = instance.task_state is None and (
            (on and instance.vm_state == states.STOPPED
             and instance.power_state == states.SHUTDOWN)
            or (not on and instance.vm_state == states.ACTIVE
                and instance.power_state == states.RUNNING))
        with self._locked(instance.uuid):
            try:
                with self._guarded(ctxt, instance, "power_update"):
                    if not valid:
                        LOG.info("The power-update %s event for %s is a no-op in vm_state "
                                 "%s", target, instance.uuid, instance.vm_state)
                        return
                    task = states.POWERING_ON if on else states.POWERING_OFF
                    try:
                        self._update(ctxt, instance, {"task_state": task},
                                     expected=[None])
                    except exc.UnexpectedTaskState as err:
                        LOG.info("The power-update event was preempted: %s", err)
                        return
                    self.driver.power_update_event(instance, target)
                    self._update(ctxt, instance, {
                        "vm_state": states.ACTIVE if on else states.STOPPED,
                        "power_state": states.RUNNING if on else states.SHUTDOWN,
                        "task_state": None}, expected=[task])
            except Exception as err:
                LOG.warning("power-update of %s failed: %s", instance.uuid, err)
