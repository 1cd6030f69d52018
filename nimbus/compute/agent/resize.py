"""Resize and cold migration on the agents, step by step as Nova's compute manager.

prep_resize (destination) stashes the new flavor and the vm_state to come
back to; resize_instance (source) stops the guest and hands its disks over,
then points the instance at the destination; finish_resize (destination)
starts it with the new flavor: VERIFY_RESIZE. confirm_resize (source) drops
the old guest and the migration's allocations; revert_resize (destination)
drops the new guest and finish_revert_resize (source) brings the old one
back with its flavor, host and allocations.
"""

from __future__ import annotations

import logging
from typing import Any

from nimbus.common.context import RequestContext
from nimbus.compute import states
from nimbus.compute.agent.base import now_iso
from nimbus.compute.agent.moving import GONE, MoveAgentBase, flavor_values, without_old_vm_state
from nimbus.compute.objects.flavor import Flavor
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.migration import Migration, migration_id
from nimbus.compute.virt import driver as virt

LOG = logging.getLogger(__name__)


class ResizeMixin(MoveAgentBase):
    # --- the destination gets ready -----------------------------------------------------

    def prep_resize(self, ctxt: RequestContext, instance: Instance, migration: Migration,
                    flavor: Flavor, image: ImageMeta, clean_shutdown: bool = True) -> None:
        with self._locked(instance.uuid):
            vm_state = instance.vm_state
            try:
                with self._event(ctxt, instance.uuid, "prep_resize"):
                    instance = self._update(ctxt, instance, {
                        "new_flavor": flavor.to_dict(),
                        "system_metadata": {**instance.system_metadata,
                                            "old_vm_state": vm_state}},
                        expected=[states.RESIZE_PREP])
                    migration = self._set_migration(ctxt, migration, {
                        "dest_host": self._host_ip(migration.dest_node)})
            except GONE as err:
                self._abandon(ctxt, instance, migration, err)
                return
            except Exception as err:
                LOG.warning("Preparing the move of %s failed: %s", instance.uuid, err)
                self._revert_allocation(instance, migration)
                self._rollback(ctxt, instance, [states.RESIZE_PREP],
                               f"Preparing the resize failed: {err}")
                self._quiet_migration(ctxt, migration, "error")
                return
        self.compute_rpc.resize_instance(ctxt, migration.source_compute or "", instance,
                                         migration, flavor, image, clean_shutdown)

    # --- the source hands over ------------------------------------------------------------

    def resize_instance(self, ctxt: RequestContext, instance: Instance, migration: Migration,
                        flavor: Flavor, image: ImageMeta, clean_shutdown: bool = True) -> None:
        with self._locked(instance.uuid):
            try:
                with self._event(ctxt, instance.uuid, "resize_instance"):
                    instance, migration, disk_info = self._hand_over(ctxt, instance, migration,
                                                                     flavor)
            except GONE as err:
                self._abandon(ctxt, instance, migration, err)
                return
            except virt.ResizeRefused as err:
                # Nothing was touched: back as it was (Nova's InstanceFaultRollback).
                LOG.info("Resize of %s refused: %s", instance.uuid, err)
                self._revert_allocation(instance, migration)
                self._rollback(ctxt, instance, [states.RESIZE_PREP, states.RESIZE_MIGRATING],
                               f"Resize error: {err}")
                self._quiet_migration(ctxt, migration, "error")
                return
            except Exception as err:
                LOG.warning("Resizing %s failed on its source: %s", instance.uuid, err)
                self._revert_allocation(instance, migration)
                self._error(ctxt, instance, f"Resize error: {err}")
                self._quiet_migration(ctxt, migration, "error")
                return
        self.compute_rpc.finish_resize(ctxt, migration.dest_compute or "", instance,
                                       migration, disk_info, image)

    def _hand_over(self, ctxt: RequestContext, instance: Instance, migration: Migration,
                   flavor: Flavor) -> tuple[Instance, Migration, dict[str, Any]]:
        migration = self._set_migration(ctxt, migration, {"status": "migrating"})
        instance = self._update(ctxt, instance, {"task_state": states.RESIZE_MIGRATING},
                                expected=[states.RESIZE_PREP])
        disk_info = self.driver.migrate_disk_and_power_off(
            ctxt, instance, migration.dest_host or migration.dest_compute or "", flavor)
        migration = self._set_migration(ctxt, migration, {"status": "post-migrating"})
        instance = self._update(ctxt, instance, {
            "host": migration.dest_compute, "node": migration.dest_node,
            "old_flavor": instance.flavor.to_dict(), "power_state": states.SHUTDOWN,
            "task_state": states.RESIZE_MIGRATED}, expected=[states.RESIZE_MIGRATING])
        return instance, migration, disk_info

    # --- the destination starts it ----------------------------------------------------------

    def finish_resize(self, ctxt: RequestContext, instance: Instance, migration: Migration,
                      disk_info: dict[str, Any], image: ImageMeta) -> None:
        with self._locked(instance.uuid):
            old = instance.flavor
            try:
                with self._event(ctxt, instance.uuid, "finish_resize"):
                    self._finish(ctxt, instance, migration, disk_info, image)
            except GONE as err:
                self._abandon(ctxt, instance, migration, err)
            except Exception as err:
                LOG.warning("Finishing the resize of %s failed: %s", instance.uuid, err)
                # The instance stays here, in ERROR: the source's share goes.
                self._drop_source_allocation(migration)
                self._error(ctxt, instance, f"Resize error: {err}", flavor_values(old))
                self._quiet_migration(ctxt, migration, "error")

    def _finish(self, ctxt: RequestContext, instance: Instance, migration: Migration,
                disk_info: dict[str, Any], image: ImageMeta) -> None:
        old = instance.flavor
        new = instance.new_flavor or old
        power_on = instance.system_metadata.get("old_vm_state") != states.STOPPED
        instance = self._update(ctxt, instance, {"task_state": states.RESIZE_FINISH,
                                                 **flavor_values(new)},
                                expected=[states.RESIZE_MIGRATED])
        resize_disks = any(getattr(old, k) != getattr(new, k)
                           for k in ("root_gb", "swap", "ephemeral_gb"))
        self.driver.finish_migration(ctxt, instance, disk_info, image, resize_disks, power_on)
        self._set_migration(ctxt, migration, {"status": "finished"})
        self._update(ctxt, instance, {
            "vm_state": states.RESIZED, "task_state": None, "launched_at": now_iso(),
            "power_state": states.RUNNING if power_on else states.SHUTDOWN},
            expected=[states.RESIZE_FINISH])

    # --- confirm --------------------------------------------------------------------------------

    def confirm_resize(self, ctxt: RequestContext, instance: Instance,
                       migration: Migration) -> None:
        with self._locked(instance.uuid):
            current = self.conductor.migration_get(ctxt, migration_id(migration))
            if current.status not in ("finished", "confirming"):
                LOG.info("Not confirming migration %s: it is %s", migration.uuid,
                         current.status)
                return
            try:
                instance = self.conductor.instance_get(ctxt, instance.uuid)
            except GONE:
                # Deleted in VERIFY_RESIZE: what the resize left here goes all the same.
                self._quietly(self.driver.confirm_migration, ctxt, instance)
                self._drop_source_allocation(migration)
                self._quiet_migration(ctxt, migration, "confirmed")
                return
            try:
                with self._event(ctxt, instance.uuid, "confirm_resize"):
                    self.driver.confirm_migration(ctxt, instance)
                    self._drop_source_allocation(migration)
                    self._set_migration(ctxt, migration, {"status": "confirmed"})
                    stopped = instance.power_state == states.SHUTDOWN
                    self._update(ctxt, instance, {
                        "vm_state": states.STOPPED if stopped else states.ACTIVE,
                        "task_state": None, "old_flavor": None, "new_flavor": None,
                        "system_metadata": without_old_vm_state(instance)},
                        expected=[None, states.DELETING, states.SOFT_DELETING])
            except GONE as err:
                LOG.info("Instance %s changed while its resize was confirmed: %s",
                         instance.uuid, err)
            except Exception as err:
                LOG.warning("Confirming the resize of %s failed on %s: %s", instance.uuid,
                            self.host, err)
                self._error(ctxt, instance, f"Confirming the resize failed: {err}")
                self._quiet_migration(ctxt, migration, "error")
            finally:
                # The instance runs on the destination whatever happened here.
                self._drop_source_allocation(migration)

    # --- revert ----------------------------------------------------------------------------------

    def revert_resize(self, ctxt: RequestContext, instance: Instance,
                      migration: Migration) -> None:
        with self._locked(instance.uuid):
            try:
                with self._event(ctxt, instance.uuid, "revert_resize"):
                    self.driver.destroy(ctxt, instance, [], True)
                    migration = self._set_migration(ctxt, migration, {"status": "reverted"})
            except GONE as err:
                self._abandon(ctxt, instance, migration, err)
                return
            except Exception as err:
                LOG.warning("Reverting the resize of %s failed on %s: %s", instance.uuid,
                            self.host, err)
                self._error(ctxt, instance, f"Reverting the resize failed: {err}")
                self._quiet_migration(ctxt, migration, "error")
                return
        self.compute_rpc.finish_revert_resize(ctxt, migration.source_compute or "",
                                              instance, migration)

    def finish_revert_resize(self, ctxt: RequestContext, instance: Instance,
                             migration: Migration) -> None:
        with self._locked(instance.uuid):
            try:
                with self._event(ctxt, instance.uuid, "finish_revert_resize"):
                    self._bring_back(ctxt, instance, migration)
            except GONE as err:
                self._abandon(ctxt, instance, migration, err)
            except Exception as err:
                LOG.warning("Bringing %s back on %s failed: %s", instance.uuid, self.host,
                            err)
                self._error(ctxt, instance, f"Reverting the resize failed: {err}")

    def _bring_back(self, ctxt: RequestContext, instance: Instance,
                    migration: Migration) -> None:
        old = instance.old_flavor or instance.flavor
        power_on = instance.system_metadata.get("old_vm_state") != states.STOPPED
        instance = self._update(ctxt, instance, {
            **flavor_values(old), "host": migration.source_compute,
            "node": migration.source_node}, expected=[states.RESIZE_REVERTING])
        self._revert_allocation(instance, migration)
        self.driver.finish_revert_migration(ctxt, instance, power_on)
        self._update(ctxt, instance, {
            "vm_state": states.ACTIVE if power_on else states.STOPPED, "task_state": None,
            "power_state": states.RUNNING if power_on else states.SHUTDOWN,
            "launched_at": now_iso(), "old_flavor": None, "new_flavor": None,
            "system_metadata": without_old_vm_state(instance)},
            expected=[states.RESIZE_REVERTING])
