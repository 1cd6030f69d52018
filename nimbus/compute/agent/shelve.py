"""Shelving instances on this host: shelve (stop, snapshot to the image the API
created, SHELVED), offload (destroy the guest, give back the allocations,
SHELVED_OFFLOADED with no host), unshelve (power on here, or spawn from
the shelved image after the conductor scheduled it here), and the periodic
offload of servers shelved longer than [compute] shelved_offload_time."""

from __future__ import annotations

import contextlib
import datetime
import logging
from typing import Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.base import now_iso
from nimbus.compute.agent.imaging import ImagingBase
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.virt import driver as virt

LOG = logging.getLogger(__name__)

# A shelve's snapshot steps are task states of their own.
SHELVING_TASKS = {states.IMAGE_PENDING_UPLOAD: states.SHELVING_IMAGE_PENDING_UPLOAD,
                  states.IMAGE_UPLOADING: states.SHELVING_IMAGE_UPLOADING}
_SHELVING_STATES: list[str | None] = [states.SHELVING, states.SHELVING_IMAGE_PENDING_UPLOAD,
                                      states.SHELVING_IMAGE_UPLOADING]
SHELVED_KEYS = ("shelved_at", "shelved_image_id", "shelved_host")


def _power(driver: virt.ComputeDriver, instance: Instance) -> int:
    try:
        return driver.get_info(instance).power_state
    except virt.InstanceNotFound:
        return states.NOSTATE


class ShelveMixin(ImagingBase):
    # --- shelve ----------------------------------------------------------------------

    def shelve_instance(self, ctxt: RequestContext, instance: Instance, image_id: str,
                        clean_shutdown: bool = True) -> None:
        with self._locked(instance.uuid):
            running = instance.power_state == states.RUNNING
            try:
                with self._event(ctxt, instance.uuid, "shelve_instance"):
                    # A paused guest cannot shut down cleanly.
                    clean = clean_shutdown and instance.power_state != states.PAUSED_POWER
                    self.driver.power_off(instance, 60 if clean else 0)
                    last = self._snapshot_to_image(ctxt, instance, image_id, states.SHELVING,
                                                   SHELVING_TASKS)
            except (exc.InstanceNotFound, exc.UnexpectedTaskState) as err:
                LOG.info("Instance %s went away while it was shelved: %s", instance.uuid, err)
                self._discard_image(image_id)
                return
            except Exception as err:
                LOG.warning("Shelving %s failed: %s", instance.uuid, err)
                self._discard_image(image_id)
                if running:
                    with contextlib.suppress(Exception):
                        self.driver.power_on(ctxt, instance)
                self._revert_task(ctxt, instance, _SHELVING_STATES,
                                  f"Shelving instance {instance.uuid} failed: {err}",
                                  {"power_state": _power(self.driver, instance)})
                return
            offload = self.conf.compute.shelved_offload_time == 0
            system_metadata = dict(instance.system_metadata, shelved_at=now_iso(),
                                   shelved_image_id=image_id, shelved_host=self.host)
            try:
                instance = self._update(ctxt, instance, {
                    "vm_state": states.SHELVED, "power_state": _power(self.driver, instance),
                    "task_state": states.SHELVING_OFFLOADING if offload else None,
                    "system_metadata": system_metadata}, expected=[last])
            except (exc.InstanceNotFound, exc.UnexpectedTaskState) as err:
                LOG.info("Instance %s went away after it was shelved: %s", instance.uuid, err)
                return
            if offload:
                self._offload(ctxt, instance, clean_shutdown=False)

    # --- offload ------------------------------------------------------------------------

    def shelve_offload_instance(self, ctxt: RequestContext, instance: Instance,
                                clean_shutdown: bool = True) -> None:
        with self._locked(instance.uuid):
            try:
                with self._event(ctxt, instance.uuid, "shelve_offload_instance"):
                    self._remove_guest(ctxt, instance, clean_shutdown)
            except Exception as err:
                LOG.warning("Offloading %s failed: %s", instance.uuid, err)
                self._revert_task(ctxt, instance, [states.SHELVING_OFFLOADING],
                                  f"Offloading instance {instance.uuid} failed: {err}")
                return
            self._offloaded(ctxt, instance)

    def _offload(self, ctxt: RequestContext, instance: Instance, clean_shutdown: bool) -> None:
        """Offload under the caller's lock, without an event of its own."""
        try:
            self._remove_guest(ctxt, instance, clean_shutdown)
        except Exception as err:
            LOG.warning("Offloading %s failed: %s", instance.uuid, err)
            self._revert_task(ctxt, instance, [states.SHELVING_OFFLOADING],
                              f"Offloading instance {instance.uuid} failed: {err}")
            return
        self._offloaded(ctxt, instance)

    def _remove_guest(self, ctxt: RequestContext, instance: Instance,
                      clean_shutdown: bool) -> None:
        with contextlib.suppress(virt.InstanceNotFound):
            self.driver.power_off(instance, 60 if clean_shutdown else 0)
        self.driver.destroy(ctxt, instance, [], True)
        # Before the state changes, so that whoever waits for the offload
        # finds the resources free (as Nova orders it).
        self._release(instance.uuid)

    def _offloaded(self, ctxt: RequestContext, instance: Instance) -> None:
        with contextlib.suppress(exc.InstanceNotFound, exc.UnexpectedTaskState):
            self._update(ctxt, instance, {
                "vm_state": states.SHELVED_OFFLOADED, "task_state": None,
                "power_state": states.SHUTDOWN, "host": None, "node": None,
                "launched_on": None}, expected=[states.SHELVING_OFFLOADING])

    def offload_shelved(self, ctxt: RequestContext) -> list[str]:
        """The periodic task: offload servers shelved here longer than
        [compute] shelved_offload_time (never when it is -1); those offloaded."""
        wait = self.conf.compute.shelved_offload_time
        if wait <= 0:
            return []
        now = datetime.datetime.now(datetime.UTC)
        done = []
        for instance in self.conductor.instances_on_host(ctxt, self.host):
            if instance.vm_state != states.SHELVED or instance.task_state is not None:
                continue
            shelved_at = instance.system_metadata.get("shelved_at")
            if not shelved_at or now - datetime.datetime.fromisoformat(shelved_at) < \
                    datetime.timedelta(seconds=wait):
                continue
            with self._locked(instance.uuid):
                try:
                    instance = self.conductor.instance_update(
                        ctxt, instance.uuid, {"task_state": states.SHELVING_OFFLOADING},
                        expected_task_state=[None], expected_vm_state=[states.SHELVED])
                except (exc.InstanceNotFound, exc.UnexpectedTaskState):
                    continue
                self._offload(ctxt, instance, clean_shutdown=False)
                done.append(instance.uuid)
        return done

    # --- unshelve ---------------------------------------------------------------------

    def unshelve_instance(self, ctxt: RequestContext, instance: Instance,
                          image: ImageMeta | None, node: str | None) -> None:
        with self._locked(instance.uuid):
            if image is None:
                self._power_on_shelved(ctxt, instance)
            else:
                self._spawn_shelved(ctxt, instance, image)

    def _power_on_shelved(self, ctxt: RequestContext, instance: Instance) -> None:
        try:
            with self._event(ctxt, instance.uuid, "unshelve_instance"):
                self.driver.power_on(ctxt, instance)
        except Exception as err:
            LOG.warning("Unshelving %s failed: %s", instance.uuid, err)
            self._revert_task(ctxt, instance, [states.POWERING_ON],
                              f"Unshelving instance {instance.uuid} failed: {err}")
            return
        self._unshelved(ctxt, instance, states.POWERING_ON, {})

    def _spawn_shelved(self, ctxt: RequestContext, instance: Instance,
                       image: ImageMeta) -> None:
        try:
            instance = self._update(ctxt, instance, {"task_state": states.SPAWNING},
                                    expected=[states.UNSHELVING])
        except (exc.InstanceNotFound, exc.UnexpectedTaskState) as err:
            LOG.info("Not unshelving %s: %s", instance.uuid, err)
            self._release(instance.uuid)
            return
        try:
            with self._event(ctxt, instance.uuid, "unshelve_instance"):
                self.driver.spawn(ctxt, virt.SpawnRequest(instance=instance, image=image))
        except Exception as err:
            LOG.warning("Unshelving %s on %s failed: %s", instance.uuid, self.host, err)
            with contextlib.suppress(Exception):
                self.driver.destroy(ctxt, instance, [], True)
            self._release(instance.uuid)
            self._revert_task(ctxt, instance, [states.SPAWNING],
                              f"Unshelving instance {instance.uuid} failed: {err}",
                              {"host": None, "node": None, "launched_on": None})
            return
        self._unshelved(ctxt, instance, states.SPAWNING, {"launched_at": now_iso()})

    def _unshelved(self, ctxt: RequestContext, instance: Instance, expected: str,
                   values: dict[str, Any]) -> None:
        """ACTIVE again: the shelved keys and the shelved image go."""
        image_id = instance.system_metadata.get("shelved_image_id")
        system_metadata = {k: v for k, v in instance.system_metadata.items()
                           if k not in SHELVED_KEYS}
        try:
            self._update(ctxt, instance, {
                "vm_state": states.ACTIVE, "task_state": None, "power_state": states.RUNNING,
                "system_metadata": system_metadata, **values}, expected=[expected])
        except (exc.InstanceNotFound, exc.UnexpectedTaskState) as err:
            LOG.info("Instance %s went away while it was unshelved: %s", instance.uuid, err)
            return
        if image_id:
            self._delete_image(image_id)
