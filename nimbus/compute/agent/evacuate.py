"""Evacuation on the agents: the destination rebuilds the instance from its
image; the source, when its agent comes back, destroys the guest it still
has and gives back the allocations it held (Nova's _destroy_evacuated_instances).
"""

from __future__ import annotations

import logging

from nimbus.common.context import RequestContext
from nimbus.compute import states
from nimbus.compute.agent.base import now_iso
from nimbus.compute.agent.moving import GONE, MoveAgentBase
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.migration import Migration
from nimbus.compute.virt import driver as virt

LOG = logging.getLogger(__name__)


class EvacuateMixin(MoveAgentBase):
    # --- the destination ------------------------------------------------------------------

    def evacuate_instance(self, ctxt: RequestContext, instance: Instance,
                          migration: Migration, image: ImageMeta,
                          admin_password: str | None, target_state: str | None) -> None:
        with self._locked(instance.uuid):
            stop = target_state == states.STOPPED or instance.vm_state == states.STOPPED
            try:
                with self._event(ctxt, instance.uuid, "rebuild_instance"):
                    self._rebuild_here(ctxt, instance, migration, image, admin_password, stop)
            except GONE as err:
                LOG.info("Instance %s went away while it was evacuated: %s", instance.uuid,
                         err)
                self._quietly(self.driver.destroy, ctxt, instance, [], True)
                self._quiet_migration(ctxt, migration, "failed")
            except Exception as err:
                LOG.warning("Evacuating %s to %s failed: %s", instance.uuid, self.host, err)
                self._quietly(self.driver.destroy, ctxt, instance, [], True)
                self._give_back_destination(instance, migration)
                self._error(ctxt, instance, f"Evacuation failed: {err}")
                self._quiet_migration(ctxt, migration, "failed")

    def _rebuild_here(self, ctxt: RequestContext, instance: Instance, migration: Migration,
                      image: ImageMeta, admin_password: str | None, stop: bool) -> None:
        migration = self._set_migration(ctxt, migration, {"status": "pre-migrating"})
        instance = self._update(ctxt, instance, {
            "host": self.host, "node": migration.dest_node, "power_state": states.NOSTATE,
            "task_state": states.REBUILD_BLOCK_DEVICE_MAPPING},
            expected=[states.REBUILDING])
        instance = self._update(ctxt, instance, {"task_state": states.REBUILD_SPAWNING},
                                expected=[states.REBUILD_BLOCK_DEVICE_MAPPING])
        self.driver.spawn(ctxt, virt.SpawnRequest(instance=instance, image=image,
                                                  admin_password=admin_password))
        values: dict[str, object] = {"vm_state": states.ACTIVE, "task_state": None,
                                     "power_state": states.RUNNING, "launched_at": now_iso(),
                                     "progress": 0}
        if stop:
            # Stopped before (or, from 2.95, always): stopped after.
            self.driver.power_off(instance, 0)
            values.update(vm_state=states.STOPPED, power_state=states.SHUTDOWN)
        self._update(ctxt, instance, values, expected=[states.REBUILD_SPAWNING])
        self._set_migration(ctxt, migration, {"status": "done"})

    def _give_back_destination(self, instance: Instance, migration: Migration) -> None:
        """A failed evacuation keeps the instance's source allocations, not this host's."""
        node = self._node_uuid(migration.dest_node)
        if node is None:
            return
        try:
            self.placement.remove_provider(instance.uuid, node)
        except Exception:
            LOG.exception("Could not drop the allocations of %s on %s", instance.uuid,
                          self.host)

    # --- the source, back ------------------------------------------------------------------

    def destroy_evacuated_instances(self, ctxt: RequestContext) -> list[str]:
        """Destroy the guests evacuated away from this host while its agent was
        down, and drop what their instances still hold here; their uuids."""
        local = set(self.driver.list_instance_uuids())
        cleaned = []
        for found in self.conductor.evacuations_from(ctxt, self.host):
            migration: Migration = found["migration"]
            instance: Instance | None = found["instance"]
            if instance is not None and instance.uuid in local:
                LOG.info("Destroying %s: it was evacuated from %s", instance.uuid, self.host)
                self.driver.destroy(ctxt, instance, [], True)
            node = found["source_node_uuid"]
            if instance is not None and not instance.deleted and node:
                try:
                    self.placement.remove_provider(instance.uuid, node)
                except Exception:
                    LOG.exception("Could not drop the allocations of %s on %s",
                                  instance.uuid, self.host)
                    continue
            self._set_migration(ctxt, migration, {"status": "completed"})
            cleaned.append(migration.instance_uuid)
        return cleaned
