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
from collections.abc import Callable, Iterator
from typing import Any

from oslo_config import cfg

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.resource_tracker import ResourceTracker
from nimbus.compute.conductor.rpcapi import ConductorAPI
from nimbus.compute.image import ImageClient
from nimbus.compute.objects.instance import Instance
from nimbus.compute.placement import PlacementClient
from nimbus.compute.virt.driver import ComputeDriver
from nimbus.compute.virt.driver import InstanceNotFound as DriverInstanceNotFound

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
                 conductor: ConductorAPI, placement: PlacementClient,
                 images: ImageClient | None = None) -> None:
        self.conf = conf
        self.host = host
        self.driver = driver
        self.conductor = conductor
        self.placement = placement
        # Snapshots are uploaded as the service user (the user's token may
        # expire during a long upload).
        self.images = images if images is not None else ImageClient(placement.client.auth)
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

    def _power_state(self, instance: Instance) -> int:
        """What the hypervisor says; NOSTATE when it does not know the instance."""
        try:
            return self.driver.get_info(instance).power_state
        except DriverInstanceNotFound:
            return states.NOSTATE

    def _fault(self, ctxt: RequestContext, instance: Instance, error: BaseException) -> None:
        """Record `error` as a fault of the instance (shown once it is in ERROR)."""
        message = str(error) or type(error).__name__
        self._quietly(self.conductor.instance_fault_create, ctxt, instance.uuid, 500,
                      message, "".join(traceback.format_exception(error)), self.host)

    @contextlib.contextmanager
    def _guarded(self, ctxt: RequestContext, instance: Instance, name: str,
                 revert_task: bool = True,
                 on_error: Callable[[], dict[str, Any]] | None = None) -> Iterator[None]:
        """Nova's wrap_instance_event, wrap_instance_fault and reverts_task_state
        around one operation: the event ``compute_<name>`` is recorded, and a
        failure leaves a fault, then no task state (unless another action took
        the instance over meanwhile) and what `on_error` says (say, ERROR),
        before it is raised again."""
        # The event finishes last, so that a finished event means final states.
        with self._event(ctxt, instance.uuid, name):
            try:
                yield
            except exc.UnexpectedTaskState:
                raise  # preempted by another action: its task state stays
            except Exception as err:
                self._fault(ctxt, instance, err)
                values = {"task_state": None} if revert_task else {}
                if on_error is not None:
                    values.update(on_error())
                if values:
                    try:
                        self._update(ctxt, instance, values)
                    except exc.NotFound:
                        LOG.info("Instance %s went away during %s", instance.uuid, name)
                raise
