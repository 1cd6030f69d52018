"""What a guest goes through on its host besides start and stop: reboots, pause,
suspend and crash dumps.

Each state change runs as Nova's compute manager runs it: under the
instance's lock, inside an instance action event, from the task state the
API set to the final vm_state; a failure leaves a fault and clears the task
(or, for a reboot that leaves the guest down, puts it in ERROR).
"""

from __future__ import annotations

import logging
from typing import Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.base import AgentBase
from nimbus.compute.objects.instance import Instance

LOG = logging.getLogger(__name__)

class GuestMixin(AgentBase):
    # --- reboot ------------------------------------------------------------------

    def reboot_instance(self, ctxt: RequestContext, instance: Instance,
                        reboot_type: str) -> None:
        soft = reboot_type == "SOFT"
        pending, started = ((states.REBOOT_PENDING, states.REBOOT_STARTED) if soft else
                            (states.REBOOT_PENDING_HARD, states.REBOOT_STARTED_HARD))
        expected: list[str | None] = [states.REBOOTING if soft else states.REBOOTING_HARD,
                                      pending, started]
        with self._locked(instance.uuid):
            try:
                with self._guarded(ctxt, instance, "reboot_instance",
                                   on_error=lambda: self._after_failed_reboot(instance)):
                    self._update(ctxt, instance, {"task_state": pending,
                                                  "power_state": self._power_state(instance)},
                                 expected=expected)
                    self._update(ctxt, instance, {"task_state": started}, expected=[pending])
                    self._reboot(ctxt, instance, reboot_type)
            except (exc.UnexpectedTaskState, exc.InstanceNotFound) as err:
                LOG.info("Reboot of %s preempted: %s", instance.uuid, err)
            except Exception as err:
                LOG.warning("Rebooting %s failed: %s", instance.uuid, err)

    def _reboot(self, ctxt: RequestContext, instance: Instance, reboot_type: str) -> None:
        """Reboot; a failed reboot that left the guest running is only a fault
        (back to ACTIVE), one that left it down raises (to ERROR)."""
        final = states.RESCUED if instance.vm_state == states.RESCUED else states.ACTIVE
        try:
            self.driver.reboot(ctxt, instance, reboot_type)
        except Exception as err:
            if self._power_state(instance) != states.RUNNING:
                raise
            LOG.warning("Reboot of %s failed but it is running: %s", instance.uuid, err)
            self._fault(ctxt, instance, err)
        self._update(ctxt, instance, {"vm_state": final, "task_state": None,
                                      "power_state": self._power_state(instance)})

    def _after_failed_reboot(self, instance: Instance) -> dict[str, Any]:
        power = self._power_state(instance)
        return {} if power == states.RUNNING else {"vm_state": states.ERROR,
                                                   "power_state": power}

    # --- pause, suspend --------------------------------------------------------------

    def _change(self, ctxt: RequestContext, instance: Instance, name: str, task: str,
                operation: Any, final: dict[str, Any]) -> None:
        """Run `operation` (a driver call) for an instance in `task`; then set
        the `final` states. A failure clears the task (the vm_state stays)."""
        with self._locked(instance.uuid):
            try:
                with self._guarded(ctxt, instance, name):
                    operation()
                    self._update(ctxt, instance, {**final, "task_state": None,
                                                  "power_state": self._power_state(instance)},
                                 expected=[task])
            except (exc.UnexpectedTaskState, exc.InstanceNotFound) as err:
                LOG.info("%s of %s preempted: %s", name, instance.uuid, err)
            except Exception as err:
                LOG.warning("%s of %s failed: %s", name, instance.uuid, err)

    def pause_instance(self, ctxt: RequestContext, instance: Instance) -> None:
        self._change(ctxt, instance, "pause_instance", states.PAUSING,
                     lambda: self.driver.pause(instance), {"vm_state": states.PAUSED})

    def unpause_instance(self, ctxt: RequestContext, instance: Instance) -> None:
        self._change(ctxt, instance, "unpause_instance", states.UNPAUSING,
                     lambda: self.driver.unpause(instance), {"vm_state": states.ACTIVE})

    def suspend_instance(self, ctxt: RequestContext, instance: Instance) -> None:
        # Nova remembers the vm_state a resume goes back to.
        sysmeta = {**instance.system_metadata, "old_vm_state": instance.vm_state}
        self._change(ctxt, instance, "suspend_instance", states.SUSPENDING,
                     lambda: self.driver.suspend(ctxt, instance),
                     {"vm_state": states.SUSPENDED, "system_metadata": sysmeta})

    def resume_instance(self, ctxt: RequestContext, instance: Instance) -> None:
        sysmeta = dict(instance.system_metadata)
        back_to = sysmeta.pop("old_vm_state", None) or states.ACTIVE
        self._change(ctxt, instance, "resume_instance", states.RESUMING,
                     lambda: self.driver.resume(ctxt, instance),
                     {"vm_state": back_to, "system_metadata": sysmeta})

    # --- crash dumps -------------------------------------------------------

    def trigger_crash_dump(self, ctxt: RequestContext, instance: Instance) -> None:
        """No task state: what a crash dump does to the guest is the guest's business."""
        try:
            with self._guarded(ctxt, instance, "trigger_crash_dump", revert_task=False):
                self.driver.trigger_crash_dump(instance)
        except Exception as err:
            LOG.warning("Crash dump of %s failed: %s", instance.uuid, err)
