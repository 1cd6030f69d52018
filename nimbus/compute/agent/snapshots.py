"""Snapshots and backups of instances on this host: the driver captures the
disk, the agent uploads it to the image the API created, and a backup then
keeps only the newest `rotation` backups of its type."""

from __future__ import annotations

import logging

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.imaging import SNAPSHOT_TASKS, ImagingBase
from nimbus.compute.objects.instance import Instance

LOG = logging.getLogger(__name__)

_SNAPSHOT_STATES: list[str | None] = [states.IMAGE_SNAPSHOT, states.IMAGE_BACKUP,
                                      states.IMAGE_PENDING_UPLOAD, states.IMAGE_UPLOADING]


class SnapshotMixin(ImagingBase):
    def snapshot_instance(self, ctxt: RequestContext, instance: Instance,
                          image_id: str) -> None:
        with self._locked(instance.uuid):
            try:
                instance = self._update(ctxt, instance, {"task_state": states.IMAGE_SNAPSHOT},
                                        expected=[states.IMAGE_SNAPSHOT_PENDING])
            except (exc.UnexpectedTaskState, exc.InstanceNotFound) as err:
                LOG.info("Not snapshotting %s: %s", instance.uuid, err)
                self._discard_image(image_id)
                return
            self._snapshot(ctxt, instance, image_id, states.IMAGE_SNAPSHOT,
                           "snapshot_instance")

    def backup_instance(self, ctxt: RequestContext, instance: Instance, image_id: str,
                        backup_type: str, rotation: int) -> None:
        with self._locked(instance.uuid):
            if self._snapshot(ctxt, instance, image_id, states.IMAGE_BACKUP,
                              "backup_instance"):
                self._rotate_backups(instance, backup_type, rotation)

    def _snapshot(self, ctxt: RequestContext, instance: Instance, image_id: str,
                  first: str, event: str) -> bool:
        """Fill `image_id`; True when it is active and the task is over."""
        try:
            with self._event(ctxt, instance.uuid, event):
                last = self._snapshot_to_image(ctxt, instance, image_id, first,
                                               SNAPSHOT_TASKS)
        except (exc.InstanceNotFound, exc.UnexpectedTaskState) as err:
            LOG.info("Instance %s went away during its snapshot: %s", instance.uuid, err)
            self._discard_image(image_id)
            return False
        except Exception as err:
            LOG.warning("Snapshot of %s to %s failed: %s", instance.uuid, image_id, err)
            self._discard_image(image_id)
            self._revert_task(ctxt, instance, _SNAPSHOT_STATES,
                              f"Snapshot of instance {instance.uuid} failed: {err}")
            return False
        try:
            self._update(ctxt, instance, {"task_state": None}, expected=[last])
        except (exc.InstanceNotFound, exc.UnexpectedTaskState) as err:
            LOG.info("Instance %s went away after its snapshot: %s", instance.uuid, err)
        return True

    def _rotate_backups(self, instance: Instance, backup_type: str, rotation: int) -> None:
        """Delete the oldest backups of this type beyond `rotation` (the
        newest included, when rotation is 0, as Nova does)."""
        filters = {"image_type": "backup", "backup_type": backup_type,
                   "instance_uuid": instance.uuid, "sort_key": "created_at",
                   "sort_dir": "desc"}
        try:
            backups = list(self.images.iter_images(None, filters, limit=10000))
        except Exception:
            LOG.exception("Could not list the %s backups of %s", backup_type, instance.uuid)
            return
        for image in backups[rotation:]:
            LOG.info("Rotating out backup %s of %s", image["id"], instance.uuid)
            self._delete_image(image["id"])
