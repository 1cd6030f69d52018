"""Builds and deletes of instances on this host."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.base import AgentBase, now_iso
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection
from nimbus.compute.virt import driver as virt

LOG = logging.getLogger(__name__)


class BuildMixin(AgentBase):
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
                    "power_state": states.RUNNING, "launched_at": now_iso(), "progress": 0},
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
