"""Soft deletes on this host: power a deleted guest off, power a restored one
back on, and reclaim (really delete) those deleted longer ago than
``[compute] reclaim_instance_interval`` (Nova's _reclaim_queued_deletes)."""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.base import AgentBase
from nimbus.compute.objects.instance import Instance

LOG = logging.getLogger(__name__)


class DeferredDeleteMixin(AgentBase):
    if TYPE_CHECKING:  # BuildMixin's, beside this one in ComputeManager
        def _terminate(self, ctxt: RequestContext, instance: Instance) -> None: ...

    def soft_delete_instance(self, ctxt: RequestContext, instance: Instance) -> None:
        with self._locked(instance.uuid):
            try:
                with self._guarded(ctxt, instance, "soft_delete_instance"):
                    self.driver.power_off(instance, 0)
                    self._update(ctxt, instance, {
                        "vm_state": states.SOFT_DELETED, "task_state": None,
                        "power_state": self._power_state(instance)},
                        expected=[states.SOFT_DELETING])
            except (exc.UnexpectedTaskState, exc.InstanceNotFound) as err:
                LOG.info("Soft delete of %s preempted: %s", instance.uuid, err)
            except Exception as err:
                LOG.warning("Soft-deleting %s failed: %s", instance.uuid, err)

    def restore_instance(self, ctxt: RequestContext, instance: Instance) -> None:
        with self._locked(instance.uuid):
            try:
                with self._guarded(ctxt, instance, "restore_instance"):
                    self.driver.power_on(ctxt, instance)
                    self._update(ctxt, instance, {
                        "vm_state": states.ACTIVE, "task_state": None,
                        "power_state": self._power_state(instance)},
                        expected=[states.RESTORING])
            except (exc.UnexpectedTaskState, exc.InstanceNotFound) as err:
                LOG.info("Restore of %s preempted: %s", instance.uuid, err)
            except Exception as err:
                LOG.warning("Restoring %s failed: %s", instance.uuid, err)

    def reclaim_queued_deletes(self, ctxt: RequestContext) -> list[str]:
        """Delete the soft-deleted instances of this host whose time is up;
        their uuids. A restore that starts meanwhile wins: the instance is
        claimed (task_state deleting) only if it is still soft-deleted and idle."""
        interval = self.conf.compute.reclaim_instance_interval
        if interval <= 0:
            return []
        now = datetime.datetime.now(datetime.UTC)
        reclaimed = []
        for instance in self.conductor.instances_on_host(ctxt, self.host):
            if instance.vm_state != states.SOFT_DELETED or instance.task_state is not None:
                continue
            if not _older_than(instance.deleted_at, now, interval):
                continue
            with self._locked(instance.uuid):
                try:
                    claimed = self.conductor.instance_update(
                        ctxt, instance.uuid, {"task_state": states.DELETING},
                        expected_task_state=[None], expected_vm_state=[states.SOFT_DELETED])
                except (exc.UnexpectedTaskState, exc.InstanceNotFound):
                    continue
                LOG.info("Reclaiming deleted instance %s", instance.uuid)
                self._terminate(ctxt, claimed)
            reclaimed.append(instance.uuid)
        return reclaimed


def _older_than(when: datetime.datetime | None, now: datetime.datetime, seconds: int) -> bool:
    if when is None:
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return now - when > datetime.timedelta(seconds=seconds)
