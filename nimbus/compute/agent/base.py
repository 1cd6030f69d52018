"""What every part of a compute agent shares: its driver, conductor and placement
clients, per-instance locks, instance action events and state changes.

Every operation on an instance holds that instance's lock (a delete waits
for a build under way, then wins), records an instance action event, and
changes states through the conductor with the task state it expects, so
that a concurrent action that moved the instance on is noticed instead of
overwritten. Failures end in a final state: ERROR with a fault, or the
state before the action, never stuck in a task.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
import traceback
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from oslo_config import cfg

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.resource_tracker import ResourceTracker
from nimbus.compute.conductor.rpcapi import ConductorAPI
from nimbus.compute.objects.instance import Instance
from nimbus.compute.placement import PlacementClient
from nimbus.compute.virt.driver import ComputeDriver

LOG = logging.getLogger(__name__)

# Nova's binary names: clients and Tempest look services up by them.
BINARY = "nova-compute"
# Bumped when an agent's RPC or behaviour changes in a way others must know.
SERVICE_VERSION = 1


def now_iso() -> str:
    """Now, as a timestamp crosses RPC."""
    return datetime.datetime.now(datetime.UTC).isoformat()


class AgentBase:
    """The plumbing; ComputeManager adds the operations, family by family."""

    def __init__(self, conf: cfg.ConfigOpts, host: str, driver: ComputeDriver,
                 conductor: ConductorAPI, placement: PlacementClient) -> None:
        self.conf = conf
        self.host = host
        self.driver = driver
        self.conductor = conductor
        self.placement = placement
        self.tracker = ResourceTracker(conf, host, driver, conductor, placement)
        self.service_id: int | None = None
        self.service_disabled = False
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_lock = threading.Lock()

    # --- plumbing ------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self, instance_uuid: str) -> Iterator[None]:
        with self._locks_lock:
            lock = self._locks[instance_uuid]
        with lock:
            yield

    @contextlib.contextmanager
    def _event(self, ctxt: RequestContext, instance_uuid: str, name: str) -> Iterator[None]:
        """An instance action event around a step; a failure is recorded with
        its traceback and raised again."""
        event = f"compute_{name}"
        self._quietly(self.conductor.action_event_start, ctxt, instance_uuid, event, self.host)
        try:
            yield
        except Exception:
            self._quietly(self.conductor.action_event_finish, ctxt, instance_uuid, event,
                          "Error", traceback.format_exc())
            raise
        self._quietly(self.conductor.action_event_finish, ctxt, instance_uuid, event,
                      "Success")

    @staticmethod
    def _quietly(fn: Any, *args: Any) -> None:
        """Bookkeeping that must not fail the operation it describes: an action
        that went missing (its instance was deleted) is logged, not raised."""
        try:
            fn(*args)
        except exc.NotFound as err:
            LOG.debug("Bookkeeping skipped: %s", err)

    def _update(self, ctxt: RequestContext, instance: Instance, values: dict[str, Any],
                expected: list[str | None] | None = None) -> Instance:
        return self.conductor.instance_update(ctxt, instance.uuid, values,
                                              expected_task_state=expected)

    def _error(self, ctxt: RequestContext, instance: Instance, message: str,
               values: dict[str, Any] | None = None) -> None:
        """Put an instance in ERROR with a fault (it may have been deleted meanwhile)."""
        # The fault first: a reader seeing ERROR sees why.
        try:
            self.conductor.instance_fault_create(ctxt, instance.uuid, 500, message,
                                                 traceback.format_exc(), self.host)
            self._update(ctxt, instance, {"vm_state": states.ERROR, "task_state": None,
                                          **(values or {})})
        except exc.NotFound:
            LOG.info("Instance %s went away before its failure was recorded", instance.uuid)

    def _destroy_quietly(self, ctxt: RequestContext, instance: Instance) -> None:
        """Destroy a guest on the way to a failure already being handled: a
        second failure is logged, not raised over the first."""
        try:
            self.driver.destroy(ctxt, instance, [], True)
        except Exception:
            LOG.exception("Could not destroy %s", instance.uuid)

    def _release(self, instance_uuid: str) -> None:
        try:
            self.placement.delete_allocations(instance_uuid)
        except Exception:
            LOG.exception("Could not delete the allocations of %s", instance_uuid)
