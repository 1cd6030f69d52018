"""What a guest goes through on its host besides start and stop: reboots, pause,
suspend, crash dumps, its admin password, its console and its diagnostics.

Each state change runs as Nova's compute manager runs it: under the
instance's lock, inside an instance action event, from the task state the
API set to the final vm_state; a failure leaves a fault and clears the task
(or, for a reboot that leaves the guest down, puts it in ERROR). The reads
(console output, diagnostics) are RPC calls whose errors go back to the API.
"""

from __future__ import annotations

import logging
from typing import Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.base import AgentBase
from nimbus.compute.objects.instance import Instance
from nimbus.compute.virt import driver as virt

LOG = logging.getLogger(__name__)

# A console protocol and the console types it serves (Nova's, with 2.99's
# spice-direct); the API's schema already refused anything else.
CONSOLE_TYPES = {"vnc": ("novnc", "xvpvnc"), "spice": ("spice-html5", "spice-direct"),
                 "serial": ("serial",), "mks": ("webmks",)}


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

    # --- crash dumps, passwords -------------------------------------------------------

    def trigger_crash_dump(self, ctxt: RequestContext, instance: Instance) -> None:
        """No task state: what a crash dump does to the guest is the guest's business."""
        try:
            with self._guarded(ctxt, instance, "trigger_crash_dump", revert_task=False):
                self.driver.trigger_crash_dump(instance)
        except Exception as err:
            LOG.warning("Crash dump of %s failed: %s", instance.uuid, err)

    def set_admin_password(self, ctxt: RequestContext, instance: Instance,
                           new_pass: str) -> None:
        """A call: the API answers 409 (or 501) when it could not be done.

        :raises InstancePasswordSetFailed: :raises NotSupported:
        """
        with self._locked(instance.uuid), self._guarded(ctxt, instance, "set_admin_password"):
            if self._power_state(instance) != states.RUNNING:
                raise exc.InstancePasswordSetFailed(
                    instance=instance.uuid, reason=f"instance {instance.uuid} is not running")
            try:
                self.driver.set_admin_password(instance, new_pass)
            except virt.UnsupportedOperation:
                raise exc.NotSupported("Unable to set password on instance") from None
            except Exception:
                # Never echo what the driver said: it may hold the password.
                LOG.exception("Setting the admin password of %s failed", instance.uuid)
                raise exc.InstancePasswordSetFailed(
                    instance=instance.uuid, reason="error setting admin password") from None
            self._update(ctxt, instance, {"task_state": None},
                         expected=[states.UPDATING_PASSWORD])

    # --- reads ------------------------------------------------------------------------

    def get_console_output(self, ctxt: RequestContext, instance: Instance,
                           tail_length: int | None) -> str:
        """The guest's console log, its last `tail_length` lines (None or -1: all).

        :raises ConsoleNotAvailable: :raises NotSupported:
        """
        try:
            output = self.driver.get_console_output(instance)
        except virt.UnsupportedOperation:
            raise exc.NotSupported() from None
        except virt.InstanceNotFound:
            raise exc.ConsoleNotAvailable() from None
        except virt.DriverError as err:
            LOG.warning("Console output of %s: %s", instance.uuid, err)
            raise exc.ConsoleNotAvailable() from None
        if tail_length is not None and tail_length >= 0:
            lines = output.split("\n")
            output = "\n".join(lines[-tail_length:]) if tail_length else ""
        return output

    def get_instance_diagnostics(self, ctxt: RequestContext,
                                 instance: Instance) -> dict[str, Any]:
        """Nova's standard diagnostics of a running guest.

        :raises InstanceInvalidState: not running. :raises NotSupported:
        """
        power = self._power_state(instance)
        if power != states.RUNNING:
            raise exc.InstanceInvalidState(
                action="get_diagnostics", instance_uuid=instance.uuid, attr="power state",
                state=states.POWER_STATE_NAMES.get(power, "pending"))
        try:
            return self.driver.get_diagnostics(instance)
        except virt.UnsupportedOperation:
            raise exc.NotSupported() from None

    def get_remote_console(self, ctxt: RequestContext, instance: Instance, protocol: str,
                           console_type: str) -> dict[str, Any]:
        """Where the guest's console of `protocol` is.

        :raises ConsoleTypeInvalid: :raises ConsoleTypeUnavailable:
        """
        try:
            endpoint = self.driver.get_remote_console(instance, protocol)
        except virt.UnsupportedOperation:
            raise exc.ConsoleTypeUnavailable(console_type=console_type) from None
        if console_type not in CONSOLE_TYPES.get(protocol, ()):
            raise exc.ConsoleTypeInvalid(console_type=console_type)
        return endpoint
