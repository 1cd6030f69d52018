"""Builds and deletes of instances on this host.

A build checks the server group policy one last time (two requests may
have been scheduled at once), spawns, and ends ACTIVE; a failure the driver
reports is rescheduled through the conductor to an alternate host (with
this host's claim given back first), unless retries are off for the
request (one attempt, a forced host), when the instance goes to ERROR with
no host and no claim, as Nova's _do_build_and_run_instance. Outcomes feed
the node's failed_builds statistic, which BuildFailureWeigher reads.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
from collections import defaultdict
from collections.abc import Iterator
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


class Outcome(enum.Enum):
    ACTIVE = "active"
    FAILED = "failed"
    RESCHEDULED = "rescheduled"
    FAILED_BY_POLICY = "failed by policy"  # not the host's fault: not counted
    RESCHEDULED_BY_POLICY = "rescheduled by policy"
    GONE = "gone"  # deleted before or while it was built


_GROUP_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
_GROUP_LOCKS_LOCK = threading.Lock()


@contextlib.contextmanager
def _group_locked(group_uuid: str) -> Iterator[None]:
    with _GROUP_LOCKS_LOCK:
        lock = _GROUP_LOCKS[group_uuid]
    with lock:
        yield


class BuildMixin(AgentBase):
    # --- builds ------------------------------------------------------------------------------

    def build_and_run_instance(self, ctxt: RequestContext, instance: Instance,
                               image: ImageMeta, spec: RequestSpec,
                               admin_password: str | None,
                               injected_files: list[tuple[str, str]], requested_networks: Any,
                               node: str, host_list: list[Selection]) -> None:
        with self._locked(instance.uuid):
            outcome = self._build(ctxt, instance, image, spec, admin_password, injected_files,
                                  requested_networks, host_list)
        self._count_build(ctxt, node, outcome)

    def _build(self, ctxt: RequestContext, instance: Instance, image: ImageMeta,
               spec: RequestSpec, admin_password: str | None,
               injected_files: list[tuple[str, str]], requested_networks: Any,
               host_list: list[Selection]) -> Outcome:
        try:
            instance = self._update(ctxt, instance, {"task_state": states.SPAWNING},
                                    expected=[states.SCHEDULING])
        except (exc.UnexpectedTaskState, exc.InstanceNotFound) as err:
            LOG.info("Not building %s: %s", instance.uuid, err)
            return Outcome.GONE
        try:
            with self._event(ctxt, instance.uuid, "build_and_run_instance"):
                self._check_group_policy(ctxt, instance, spec)
                self._spawn(ctxt, instance, image, admin_password, injected_files)
        except Exception as err:
            return self._build_failed(ctxt, instance, image, spec, admin_password,
                                      injected_files, requested_networks, host_list, err)
        try:
            self._update(ctxt, instance, {
                "vm_state": states.ACTIVE, "task_state": None,
                "power_state": states.RUNNING, "launched_at": now_iso(), "progress": 0},
                expected=[states.SPAWNING])
        except exc.UnexpectedTaskState:
            # Deleted while it was spawning: the delete, queued behind this
            # build's lock, takes it from here.
            LOG.info("Instance %s was deleted while it was built", instance.uuid)
            return Outcome.GONE
        except exc.InstanceNotFound:
            # Deleted without this agent (it looked down): nobody else will
            # destroy the guest or give back the claim.
            LOG.info("Instance %s is gone; destroying what was built", instance.uuid)
            self._destroy_quietly(ctxt, instance)
            self._release(instance.uuid)
            return Outcome.GONE
        return Outcome.ACTIVE

    def _spawn(self, ctxt: RequestContext, instance: Instance, image: ImageMeta,
               admin_password: str | None, injected_files: list[tuple[str, str]]) -> None:
        request = virt.SpawnRequest(instance=instance, image=image,
                                    admin_password=admin_password,
                                    injected_files=list(injected_files or []))
        self.driver.spawn(ctxt, request)

    def _check_group_policy(self, ctxt: RequestContext, instance: Instance,
                            spec: RequestSpec) -> None:
        """Nova's _validate_instance_group_policy: refuse to build a member of
        an anti-affinity group next to too many others, or of an affinity
        group away from the others. A refused instance leaves this host
        before the lock is released, so that of two racing members one wins.

        :raises GroupAffinityViolation:
        """
        hint = spec.scheduler_hints.get("group") or []
        if not hint or self.conf.workarounds.disable_group_policy_check_upcall:
            return
        with _group_locked(hint[0]):
            group = self.conductor.instance_group_get(ctxt, hint[0])
            if group is None:
                return
            others = {u: h for u, h in group["member_hosts"].items() if u != instance.uuid}
            policy = group["policy"]
            if policy == "anti-affinity":
                here = sum(1 for h in others.values() if h == self.host)
                try:
                    limit = max(1, int(group["rules"].get("max_server_per_host", 1)))
                except (TypeError, ValueError):
                    limit = 1
                violated = "Anti-affinity" if here >= limit else None
            elif policy == "affinity":
                hosts = set(others.values())
                violated = "Affinity" if hosts and self.host not in hosts else None
            else:
                violated = None
            if violated is None:
                return
            LOG.warning("%s policy of group %s violated by %s on %s", violated, group["uuid"],
                        instance.uuid, self.host)
            self._update(ctxt, instance, {"host": None, "node": None},
                         expected=[states.SPAWNING])
            raise exc.GroupAffinityViolation(policy=violated)

    def _build_failed(self, ctxt: RequestContext, instance: Instance, image: ImageMeta,
                      spec: RequestSpec, admin_password: str | None,
                      injected_files: list[tuple[str, str]], requested_networks: Any,
                      host_list: list[Selection], error: Exception) -> Outcome:
        by_policy = isinstance(error, exc.GroupAffinityViolation)
        reschedulable = by_policy or (isinstance(error, virt.DriverError)
                                      and not isinstance(error, virt.UnsupportedOperation))
        LOG.warning("Build of %s failed on %s: %s", instance.uuid, self.host, error)
        self._destroy_quietly(ctxt, instance)
        self._release(instance.uuid)
        if reschedulable and spec.num_attempts > 0:
            try:
                instance = self._update(ctxt, instance, {"task_state": states.SCHEDULING,
                                                         "host": None, "node": None},
                                        expected=[states.SPAWNING])
            except (exc.UnexpectedTaskState, exc.InstanceNotFound):
                return Outcome.GONE  # deleted meanwhile
            spec.ignore_hosts = list(spec.ignore_hosts) + [self.host]
            self.conductor.build_instances(ctxt, instance, spec, image, admin_password,
                                           injected_files, requested_networks, host_list)
            return Outcome.RESCHEDULED_BY_POLICY if by_policy else Outcome.RESCHEDULED
        if reschedulable:
            # Retries are off for this request: Nova's fault is the reason alone.
            message = str(error)
        else:
            LOG.exception("Unexpected build failure of %s, not rescheduling", instance.uuid)
            message = f"Build of instance {instance.uuid} aborted: {error}"
        self._error(ctxt, instance, message, {"host": None, "node": None})
        return Outcome.FAILED_BY_POLICY if by_policy else Outcome.FAILED

    def _count_build(self, ctxt: RequestContext, node: str, outcome: Outcome) -> None:
        """Feed the node's failed_builds statistic: a failure (not one the
        group policy caused) counts, a success resets it."""
        if not self.conf.compute.consecutive_build_service_disable_threshold:
            return
        if self.service_id is None:
            return
        try:
            if outcome in (Outcome.FAILED, Outcome.RESCHEDULED):
                self.tracker.build_failed(ctxt, self.service_id, node)
            elif outcome is Outcome.ACTIVE:
                self.tracker.build_succeeded(ctxt, self.service_id, node)
        except Exception:
            LOG.exception("Could not report the build outcome of %s", node)

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
