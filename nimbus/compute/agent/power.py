"""Stopping and starting instances on this host."""

from __future__ import annotations

import logging

from nimbus.common.context import RequestContext
from nimbus.compute import states
from nimbus.compute.agent.base import AgentBase
from nimbus.compute.objects.instance import Instance

LOG = logging.getLogger(__name__)


class PowerMixin(AgentBase):
    def stop_instance(self, ctxt: RequestContext, instance: Instance,
                      clean_shutdown: bool = True) -> None:
        with self._locked(instance.uuid):
            try:
                with self._event(ctxt, instance.uuid, "stop_instance"):
                    self.driver.power_off(instance, 60 if clean_shutdown else 0)
            except Exception as err:
                LOG.warning("Stopping %s failed: %s", instance.uuid, err)
                self._update(ctxt, instance, {"task_state": None},
                             expected=[states.POWERING_OFF])
                return
            self._update(ctxt, instance, {"vm_state": states.STOPPED, "task_state": None,
                                          "power_state": states.SHUTDOWN},
                         expected=[states.POWERING_OFF])

    def start_instance(self, ctxt: RequestContext, instance: Instance) -> None:
        with self._locked(instance.uuid):
            try:
                with self._event(ctxt, instance.uuid, "start_instance"):
                    self.driver.power_on(ctxt, instance)
            except Exception as err:
                LOG.warning("Starting %s failed: %s", instance.uuid, err)
                self._update(ctxt, instance, {"task_state": None},
                             expected=[states.POWERING_ON])
                return
            self._update(ctxt, instance, {"vm_state": states.ACTIVE, "task_state": None,
                                          "power_state": states.RUNNING},
                         expected=[states.POWERING_ON])
