"""The server side of a compute agent: one host's instances, through its virt driver.

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
from nimbus.common.messaging import oslo_messaging
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.resource_tracker import ResourceTracker
from nimbus.compute.agent.rpcapi import ComputeAPI
from nimbus.compute.conductor.rpcapi import ConductorAPI
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection
from nimbus.compute.placement import PlacementClient
from nimbus.compute.virt import driver as virt
from nimbus.compute.virt.driver import ComputeDriver

LOG = logging.getLogger(__name__)

# Nova's binary names: clients and Tempest look services up by them.
BINARY = "nova-compute"
# Bumped when an agent's RPC or behaviour changes in a way others must know.
SERVICE_VERSION = 1


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


class ComputeManager:
    target = oslo_messaging.Target(version=ComputeAPI.version())

    def __init__(self, conf: cfg.ConfigOpts, host: str, driver: ComputeDriver,
                 conductor: ConductorAPI, placement: PlacementClient) -> None:
        self.conf = conf
        self.host = host
        self.driver = driver
        self.conductor = conductor
        self.placement = placement
        self.tracker = ResourceTracker(conf, host, driver, conductor, placement)
        self.service_id: int | None = None
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
        try:
            self._update(ctxt, instance, {"vm_state": states.ERROR, "task_state": None,
                                          **(values or {})})
            self.conductor.instance_fault_create(ctxt, instance.uuid, 500, message,
                                                 traceback.format_exc(), self.host)
        except exc.NotFound:
            LOG.info("Instance %s went away before its failure was recorded", instance.uuid)

    def _release(self, instance_uuid: str) -> None:
        try:
            self.placement.delete_allocations(instance_uuid)
        except Exception:
            LOG.exception("Could not delete the allocations of %s", instance_uuid)

    # --- the host ------------------------------------------------------------------------

    def init_host(self, ctxt: RequestContext) -> None:
        """Before serving: register, report resources, and settle instances
        the previous run of this agent left in the middle of something."""
        self.driver.init_host()
        service = self.conductor.service_register(ctxt, self.host, BINARY, ComputeAPI.TOPIC,
                                                  SERVICE_VERSION)
        self.service_id = service["id"]
        instances = self.conductor.instances_on_host(ctxt, self.host)
        for instance in instances:
            self._settle(ctxt, instance)
        self.update_available_resource(ctxt)

    def _settle(self, ctxt: RequestContext, instance: Instance) -> None:
        if instance.vm_state == states.BUILDING or instance.task_state in (
                states.SCHEDULING, states.SPAWNING):
            LOG.warning("Instance %s was being built when this agent stopped: ERROR",
                        instance.uuid)
            self._quietly(self.driver.destroy, ctxt, instance, [], True)
            self._error(ctxt, instance, "The compute agent stopped while building the "
                        "instance.")
            self._release(instance.uuid)
        elif instance.task_state == states.DELETING:
            LOG.info("Finishing the delete of %s", instance.uuid)
            self._terminate(ctxt, instance)
        elif instance.task_state is not None:
            LOG.warning("Instance %s was %s when this agent stopped; clearing the task",
                        instance.uuid, instance.task_state)
            self._update(ctxt, instance, {"task_state": None})
        self._sync_power(ctxt, instance)

    def _sync_power(self, ctxt: RequestContext, instance: Instance) -> None:
        try:
            info = self.driver.get_info(instance)
            power = info.power_state
        except virt.InstanceNotFound:
            power = states.NOSTATE
        if power != instance.power_state:
            with contextlib.suppress(exc.NotFound):
                self._update(ctxt, instance, {"power_state": power})

    def update_available_resource(self, ctxt: RequestContext) -> None:
        assert self.service_id is not None
        instances = self.conductor.instances_on_host(ctxt, self.host)
        self.tracker.update(ctxt, self.service_id, instances)

    def heartbeat(self, ctxt: RequestContext) -> None:
        assert self.service_id is not None
        self.conductor.service_heartbeat(ctxt, self.service_id)

    # --- builds ------------------------------------------------------------------------------

    def build_and_run_instance(self, ctxt: RequestContext, instance: Instance,
                               image: ImageMeta, spec: RequestSpec,
                               admin_password: str | None,
                               injected_files: list[tuple[str, str]], requested_networks: Any,
                               node: str, host_list: list[Selection]) -> None:
        with self._locked(instance.uuid):
            try:
                instance = self._update(ctxt, instance, {"task_state": states.SPAWNING},
                                        expected=[states.SCHEDULING])
            except (exc.UnexpectedTaskState, exc.InstanceNotFound) as err:
                LOG.info("Not building %s: %s", instance.uuid, err)
                return
            try:
                with self._event(ctxt, instance.uuid, "build_and_run_instance"):
                    self._spawn(ctxt, instance, image, admin_password, injected_files)
            except Exception as err:
                self._build_failed(ctxt, instance, image, spec, admin_password,
                                   injected_files, requested_networks, host_list, err)
                return
            try:
                self._update(ctxt, instance, {
                    "vm_state": states.ACTIVE, "task_state": None,
                    "power_state": states.RUNNING, "launched_at": _now(), "progress": 0},
                    expected=[states.SPAWNING])
            except (exc.UnexpectedTaskState, exc.InstanceNotFound):
                # Deleted while it was spawning: the delete, queued behind
                # this build's lock, takes it from here.
                LOG.info("Instance %s was deleted while it was built", instance.uuid)

    def _spawn(self, ctxt: RequestContext, instance: Instance, image: ImageMeta,
               admin_password: str | None, injected_files: list[tuple[str, str]]) -> None:
        request = virt.SpawnRequest(instance=instance, image=image,
                                    admin_password=admin_password,
                                    injected_files=list(injected_files or []))
        self.driver.spawn(ctxt, request)

    def _build_failed(self, ctxt: RequestContext, instance: Instance, image: ImageMeta,
                      spec: RequestSpec, admin_password: str | None,
                      injected_files: list[tuple[str, str]], requested_networks: Any,
                      host_list: list[Selection], error: Exception) -> None:
        LOG.warning("Build of %s failed on %s: %s", instance.uuid, self.host, error)
        with contextlib.suppress(Exception):
            self.driver.destroy(ctxt, instance, [], True)
        self._release(instance.uuid)
        if host_list and isinstance(error, virt.DriverError):
            try:
                instance = self._update(ctxt, instance, {"task_state": states.SCHEDULING,
                                                         "host": None, "node": None},
                                        expected=[states.SPAWNING])
            except (exc.UnexpectedTaskState, exc.InstanceNotFound):
                return  # deleted meanwhile
            spec.ignore_hosts = list(spec.ignore_hosts) + [self.host]
            spec.num_attempts = spec.num_attempts + 1
            self.conductor.build_instances(ctxt, instance, spec, image, admin_password,
                                           injected_files, requested_networks, host_list)
            return
        reason = ("Exceeded maximum number of retries. Exhausted all hosts available for "
                  f"retrying build failures for instance {instance.uuid}."
                  if isinstance(error, virt.DriverError) and spec.num_attempts else
                  f"Build of instance {instance.uuid} aborted: {error}")
        self._error(ctxt, instance, reason)

    # --- deletes ------------------------------------------------------------------------

    def terminate_instance(self, ctxt: RequestContext, instance: Instance) -> None:
        with self._locked(instance.uuid):
            self._terminate(ctxt, instance)

    def _terminate(self, ctxt: RequestContext, instance: Instance) -> None:
        try:
            with self._event(ctxt, instance.uuid, "terminate_instance"):
                self.driver.destroy(ctxt, instance, [], True)
                self._release(instance.uuid)
                self.conductor.instance_destroy(ctxt, instance.uuid)
        except exc.InstanceNotFound:
            LOG.info("Instance %s was already gone", instance.uuid)
        except Exception as err:
            LOG.exception("Deleting %s failed", instance.uuid)
            self._error(ctxt, instance, f"Deleting the instance failed: {err}")
