"""Rebuilds of instances on this host: the guest is destroyed and spawned
again from the (new) image, through Nova's task states rebuilding,
rebuild_block_device_mapping and rebuild_spawning; a stopped server is
stopped again afterwards, and a failure leaves the server in ERROR."""

from __future__ import annotations

import contextlib
import logging

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.base import now_iso
from nimbus.compute.agent.imaging import ImagingBase
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.virt import driver as virt

LOG = logging.getLogger(__name__)


class RebuildMixin(ImagingBase):
    def rebuild_instance(self, ctxt: RequestContext, instance: Instance, image: ImageMeta,
                         admin_password: str | None, injected_files: list[tuple[str, str]],
                         preserve_ephemeral: bool) -> None:
        with self._locked(instance.uuid):
            stopped = instance.vm_state == states.STOPPED
            try:
                with self._event(ctxt, instance.uuid, "rebuild_instance"):
                    instance = self._rebuild(ctxt, instance, image, admin_password,
                                             injected_files, preserve_ephemeral, stopped)
            except (exc.InstanceNotFound, exc.UnexpectedTaskState) as err:
                LOG.info("Instance %s went away during its rebuild: %s", instance.uuid, err)
                return
            except Exception as err:
                LOG.warning("Rebuild of %s failed: %s", instance.uuid, err)
                self._error(ctxt, instance, f"Rebuild of instance {instance.uuid} failed: "
                            f"{err}")
                return
            final = ({"vm_state": states.STOPPED, "power_state": states.SHUTDOWN} if stopped
                     else {"vm_state": states.ACTIVE, "power_state": states.RUNNING})
            with contextlib.suppress(exc.InstanceNotFound, exc.UnexpectedTaskState):
                self._update(ctxt, instance, {**final, "task_state": None, "progress": 0,
                                              "launched_at": now_iso()},
                             expected=[states.REBUILD_SPAWNING])

    def _rebuild(self, ctxt: RequestContext, instance: Instance, image: ImageMeta,
                 admin_password: str | None, injected_files: list[tuple[str, str]],
                 preserve_ephemeral: bool, stopped: bool) -> Instance:
        if preserve_ephemeral and not self.driver.capabilities.preserve_ephemeral:
            raise virt.UnsupportedOperation("The current driver does not support preserving "
                                            "ephemeral partitions.")
        with contextlib.suppress(virt.InstanceNotFound):  # an ERROR server may have none
            self.driver.power_off(instance, 60)
        self.driver.destroy(ctxt, instance, [], destroy_disks=not preserve_ephemeral)
        instance = self._update(ctxt, instance,
                                {"task_state": states.REBUILD_BLOCK_DEVICE_MAPPING},
                                expected=[states.REBUILDING])
        instance = self._update(ctxt, instance, {"task_state": states.REBUILD_SPAWNING},
                                expected=[states.REBUILD_BLOCK_DEVICE_MAPPING])
        self.driver.spawn(ctxt, virt.SpawnRequest(instance=instance, image=image,
                                                  admin_password=admin_password,
                                                  injected_files=list(injected_files)))
        if stopped:
            self.driver.power_off(instance, 0)
        return instance
