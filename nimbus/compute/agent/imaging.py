"""What the agent's image operations share: filling an image from a driver
snapshot, throwing away an unfinished one, and undoing a task that failed.

Nova's reverts_task_state and delete_image_on_error, made explicit: a
snapshot that fails deletes its image unless it became active, and the
server goes back to its vm_state with no task (the failure kept as a fault).
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.base import AgentBase
from nimbus.compute.objects.instance import Instance

LOG = logging.getLogger(__name__)

# A snapshot's steps, as the driver reports them, and the task state each is
# known by in a plain snapshot or backup.
SNAPSHOT_TASKS = {states.IMAGE_PENDING_UPLOAD: states.IMAGE_PENDING_UPLOAD,
                  states.IMAGE_UPLOADING: states.IMAGE_UPLOADING}


class ImagingBase(AgentBase):
    def _revert_task(self, ctxt: RequestContext, instance: Instance,
                     expected: list[str | None], error: str,
                     values: dict[str, Any] | None = None) -> None:
        """End a failed task: no task state (and `values`), the error as a fault.
        A server that moved on meanwhile (deleted) is left to whoever moved it."""
        try:
            self._update(ctxt, instance, {"task_state": None, **(values or {})},
                         expected=expected)
        except (exc.UnexpectedTaskState, exc.InstanceNotFound) as err:
            LOG.info("Not reverting the task of %s: %s", instance.uuid, err)
            return
        self._quietly(self.conductor.instance_fault_create, ctxt, instance.uuid, 500,
                      error[:255], traceback.format_exc(), self.host)

    def _discard_image(self, image_id: str) -> None:
        """Delete an image a snapshot did not finish (an active one is kept)."""
        try:
            if self.images.get(image_id).get("status") != "active":
                self.images.delete(image_id)
        except exc.ImageNotFound:
            pass
        except Exception:
            LOG.exception("Could not delete the unfinished image %s", image_id)

    def _delete_image(self, image_id: str) -> None:
        try:
            self.images.delete(image_id)
        except Exception:
            LOG.exception("Could not delete image %s", image_id)

    def _snapshot_to_image(self, ctxt: RequestContext, instance: Instance, image_id: str,
                           first: str, tasks: dict[str, str]) -> str:
        """Snapshot with the driver and upload it to `image_id`, moving the task
        state from `first` through `tasks`; the last task state set.

        :raises InstanceNotFound: :raises UnexpectedTaskState: deleted meanwhile.
        """
        current = [first]

        def update(task_state: str, expected_state: str | None = None) -> None:
            new = tasks[task_state]
            self._update(ctxt, instance, {"task_state": new}, expected=[current[0]])
            current[0] = new

        snapshot = self.driver.snapshot(ctxt, instance, image_id, update)
        if current[0] == first:  # a driver that did not report the capture
            update(states.IMAGE_PENDING_UPLOAD)
        update(states.IMAGE_UPLOADING)
        self.images.update(image_id, [
            {"op": "replace", "path": "/disk_format", "value": snapshot.disk_format},
            {"op": "replace", "path": "/container_format", "value": snapshot.container_format}])
        self.images.upload(image_id, snapshot.data)
        return current[0]
