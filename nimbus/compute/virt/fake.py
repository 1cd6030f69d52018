"""The fake driver: instant, in memory, with per-host resources and injected failures.

Every operation succeeds at once unless a test asked it to fail:
``FailureInjector.inject("host-1", "spawn", times=1)`` makes the next spawn
on host-1 raise; ``FailureInjector.hold("host-1", "spawn")`` makes the next
one wait until the event it returns is set. ``[fake_driver] spawn_delay``
slows builds down, so that a test can delete a server or stop an agent in
the middle of one; ``live_migration_delay`` does the same for live
migrations, which report their progress step by step and can be aborted or
forced to complete. Instances
live in memory and die with the process, so an agent restarted on the same
host finds none (as after a host reboot).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, ClassVar

from oslo_config import cfg

from nimbus.common.context import RequestContext
from nimbus.compute import states
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.virt import driver
from nimbus.compute.virt.driver import (
    DriverCapabilities,
    DriverError,
    InstanceInfo,
    MigrationAborted,
    ResizeRefused,
)

OPTS = [
    cfg.IntOpt("vcpus", default=64, min=1, help="VCPUs of each fake host."),
    cfg.IntOpt("memory_mb", default=262144, min=1, help="Memory of each fake host, in MiB."),
    cfg.IntOpt("local_gb", default=4000, min=0, help="Local disk of each fake host, in GiB."),
    cfg.FloatOpt("spawn_delay", default=0.0, min=0.0,
                 help="Seconds each fake spawn takes (0: instant). For tests that act "
                 "in the middle of a build."),
    cfg.FloatOpt("live_migration_delay", default=0.0, min=0.0,
                 help="Seconds each fake live migration takes (0: instant). For tests "
                 "that abort or force-complete one under way."),
    cfg.ListOpt("image_types", default=["raw", "qcow2", "iso", "aki", "ari", "ami"],
                help="Image disk formats fake hosts claim to boot (their "
                "COMPUTE_IMAGE_TYPE_* traits)."),
]

# Steps a fake live migration reports its progress in.
LIVE_MIGRATION_STEPS = 4


# The size of every fake snapshot (a raw disk of zeros).
SNAPSHOT_BYTES = 1024


@dataclass
class FakeInstance:
    uuid: str
    name: str
    power_state: int
    flavor_id: str
    image_id: str | None
    console: list[str] = field(default_factory=list)
    rescued: bool = False
    rescue_image_id: str | None = None


class FailureInjector:
    """Failures tests ask for, by host and operation, shared by every fake
    driver of the process."""

    _lock = threading.Lock()
    _pending: ClassVar[dict[tuple[str, str], list[str]]] = defaultdict(list)
    _held: ClassVar[dict[tuple[str, str], list[threading.Event]]] = defaultdict(list)

    @classmethod
    def inject(cls, host: str, operation: str, times: int = 1,
               message: str = "injected failure") -> None:
        with cls._lock:
            cls._pending[(host, operation)].extend([message] * times)

    @classmethod
    def hold(cls, host: str, operation: str) -> threading.Event:
        """Make the next `operation` on `host` wait until the event is set."""
        event = threading.Event()
        with cls._lock:
            cls._held[(host, operation)].append(event)
        return event

    @classmethod
    def clear(cls, host: str | None = None) -> None:
        with cls._lock:
            for key in [k for k in cls._pending if host is None or k[0] == host]:
                del cls._pending[key]
            for key in [k for k in cls._held if host is None or k[0] == host]:
                for event in cls._held.pop(key):
                    event.set()

    @classmethod
    def check(cls, host: str, operation: str) -> None:
        with cls._lock:
            held = cls._held.get((host, operation))
            event = held.pop(0) if held else None
        if event is not None:
            event.wait()
        with cls._lock:
            pending = cls._pending.get((host, operation))
            message = pending.pop(0) if pending else None
        if message is not None:
            raise DriverError(f"{operation} failed on {host}: {message}")


class FakeDriver(driver.ComputeDriver):
    """One fake hypervisor node per agent, named after the host."""

    capabilities = DriverCapabilities(
        pause=True, suspend=True, rescue=True, snapshot=True, console_output=True,
        set_admin_password=True, crash_dump=True, diagnostics=True, resize=True,
        live_migration=True, block_migration=True, post_copy=True, evacuate=True,
        shelve=True, preserve_ephemeral=True, config_drive=True, attach_interface=True,
        device_tagging=True)

    def __init__(self, conf: cfg.ConfigOpts, host: str) -> None:
        super().__init__(conf, host)
        self.options = conf.fake_driver
        self.instances: dict[str, FakeInstance] = {}
        self._lock = threading.Lock()
        # What a resize left here, shut off, until it is confirmed or reverted.
        self._resize_sources: dict[str, FakeInstance] = {}
        # Live migrations under way from this host: uuid -> (abort, force complete).
        self._migrating: dict[str, tuple[threading.Event, threading.Event]] = {}
        # Per host, so that a test can make one host differ from the others.
        self.image_types: set[str] = {t.lower() for t in self.options.image_types}
        self.supported_instances: tuple[tuple[str, str, str], ...] = (
            ("x86_64", "fake", "hvm"),)

    # --- the host ---------------------------------------------------------

    def get_available_nodes(self) -> list[str]:
        return [self.host]

    def get_node_resources(self, nodename: str) -> driver.NodeResources:
        return driver.NodeResources(
            hypervisor_hostname=nodename, hypervisor_type="fake", hypervisor_version=1000,
            vcpus=self.options.vcpus, memory_mb=self.options.memory_mb,
            local_gb=self.options.local_gb, cpu_info='{"arch": "x86_64", "model": "fake"}',
            host_ip="127.0.0.1", supported_instances=self.supported_instances)

    def supported_image_types(self) -> set[str]:
        return set(self.image_types)

    # --- every driver ---------------------------------------------------------

    def list_instance_uuids(self) -> list[str]:
        with self._lock:
            return list(self.instances)

    def _get(self, instance: Instance) -> FakeInstance:
        with self._lock:
            found = self.instances.get(instance.uuid)
        if found is None:
            raise driver.InstanceNotFound(f"instance {instance.uuid} is not on {self.host}")
        return found

    def get_info(self, instance: Instance) -> InstanceInfo:
        return InstanceInfo(power_state=self._get(instance).power_state,
                            internal_id=instance.uuid)

    def spawn(self, context: RequestContext, request: driver.SpawnRequest) -> None:
        if self.options.spawn_delay:
            time.sleep(self.options.spawn_delay)
        FailureInjector.check(self.host, "spawn")
        inst = request.instance
        fake = FakeInstance(uuid=inst.uuid, name=inst.name, power_state=states.RUNNING,
                            flavor_id=inst.flavor.flavorid, image_id=request.image.id)
        fake.console.append(f"fake console of {inst.uuid}: booted on {self.host}")
        with self._lock:
            self.instances[inst.uuid] = fake

    def destroy(self, context: RequestContext, instance: Instance,
                network_info: list[dict[str, Any]], destroy_disks: bool = True) -> None:
        FailureInjector.check(self.host, "destroy")
        with self._lock:
            self.instances.pop(instance.uuid, None)

    def _set_power(self, instance: Instance, operation: str, state: int) -> FakeInstance:
        FailureInjector.check(self.host, operation)
        fake = self._get(instance)
        fake.power_state = state
        fake.console.append(f"{operation} on {self.host}")
        return fake

    def reboot(self, context: RequestContext, instance: Instance, reboot_type: str) -> None:
        self._set_power(instance, "reboot", states.RUNNING)

    def power_off(self, instance: Instance, timeout: int = 0) -> None:
        self._set_power(instance, "power_off", states.SHUTDOWN)

    def power_on(self, context: RequestContext, instance: Instance) -> None:
        self._set_power(instance, "power_on", states.RUNNING)

    # --- as declared --------------------------------------------------------------

    def pause(self, instance: Instance) -> None:
        self._set_power(instance, "pause", states.PAUSED_POWER)

    def unpause(self, instance: Instance) -> None:
        self._set_power(instance, "unpause", states.RUNNING)

    def suspend(self, context: RequestContext, instance: Instance) -> None:
        self._set_power(instance, "suspend", states.SUSPENDED_POWER)

    def resume(self, context: RequestContext, instance: Instance) -> None:
        self._set_power(instance, "resume", states.RUNNING)

    def rescue(self, context: RequestContext, instance: Instance, rescue_image: ImageMeta,
               rescue_password: str | None) -> None:
        fake = self._set_power(instance, "rescue", states.RUNNING)
        fake.rescued, fake.rescue_image_id = True, rescue_image.id

    def unrescue(self, context: RequestContext, instance: Instance) -> None:
        self._set_power(instance, "unrescue", states.RUNNING).rescued = False

    def snapshot(self, context: RequestContext, instance: Instance, image_id: str,
                 update_task_state: driver.UpdateTaskState) -> driver.SnapshotImage:
        FailureInjector.check(self.host, "snapshot")
        self._get(instance)
        update_task_state(task_state=states.IMAGE_PENDING_UPLOAD)
        # A tiny raw disk image: a real upload through the image service,
        # with format inspection, but nothing to boot.
        return driver.SnapshotImage(disk_format="raw", container_format="bare",
                                    data=b"\0" * SNAPSHOT_BYTES)

    def get_console_output(self, instance: Instance) -> str:
        FailureInjector.check(self.host, "get_console_output")
        return "\n".join(self._get(instance).console) + "\n"

    def set_admin_password(self, instance: Instance, new_pass: str) -> None:
        FailureInjector.check(self.host, "set_admin_password")
        self._get(instance)

    def trigger_crash_dump(self, instance: Instance) -> None:
        FailureInjector.check(self.host, "trigger_crash_dump")
        self._get(instance).console.append("crash dump triggered (NMI)")

    def power_update_event(self, instance: Instance, target_power_state: str) -> None:
        self._set_power(instance, "power_update_event",
                        states.RUNNING if target_power_state == "POWER_ON" else states.SHUTDOWN)

    def get_diagnostics(self, instance: Instance) -> dict[str, Any]:
        fake = self._get(instance)
        return {"state": states.POWER_STATE_NAMES[fake.power_state], "driver": "libvirt",
                "hypervisor": "fake", "hypervisor_os": "fake", "uptime": 46664,
                "config_drive": False, "num_cpus": instance.vcpus,
                "num_nics": 0, "num_disks": 1,
                "cpu_details": [{"id": i, "time": 17300000000, "utilisation": 15}
                                for i in range(instance.vcpus)],
                "nic_details": [],
                "disk_details": [{"read_bytes": 262144, "read_requests": 112,
                                  "write_bytes": 5778432, "write_requests": 488,
                                  "errors_count": 1}],
                "memory_details": {"maximum": instance.memory_mb, "used": 0}}

    def migrate_disk_and_power_off(self, context: RequestContext, instance: Instance,
                                   dest_host: str, flavor: Any) -> dict[str, Any]:
        # As libvirt: a disk is never shrunk, and nothing is touched when refused.
        if flavor.root_gb < instance.flavor.root_gb:
            raise ResizeRefused("Unable to resize disk down.")
        fake = self._set_power(instance, "migrate_disk_and_power_off", states.SHUTDOWN)
        with self._lock:
            # Kept apart, so that a resize to this same host finds its new
            # guest and its old one side by side.
            self._resize_sources[instance.uuid] = self.instances.pop(instance.uuid, fake)
        return {"disks": [{"type": "raw", "virt_disk_size": flavor.root_gb * 1024 ** 3}]}

    def finish_migration(self, context: RequestContext, instance: Instance,
                         disk_info: dict[str, Any], image: ImageMeta, resize_instance: bool,
                         power_on: bool) -> None:
        FailureInjector.check(self.host, "finish_migration")
        fake = FakeInstance(uuid=instance.uuid, name=instance.name,
                            power_state=states.RUNNING if power_on else states.SHUTDOWN,
                            flavor_id=instance.flavor.flavorid, image_id=image.id)
        with self._lock:
            self.instances[instance.uuid] = fake

    def confirm_migration(self, context: RequestContext, instance: Instance) -> None:
        with self._lock:
            self._resize_sources.pop(instance.uuid, None)

    def finish_revert_migration(self, context: RequestContext, instance: Instance,
                                power_on: bool) -> None:
        FailureInjector.check(self.host, "finish_revert_migration")
        with self._lock:
            fake = self._resize_sources.pop(instance.uuid, None)
            if fake is None:
                raise driver.InstanceNotFound(f"no resized-away copy of {instance.uuid} on "
                                              f"{self.host}")
            fake.power_state = states.RUNNING if power_on else states.SHUTDOWN
            self.instances[instance.uuid] = fake

    def check_can_live_migrate_destination(self, context: RequestContext, instance: Instance,
                                           block_migration: bool) -> dict[str, Any]:
        FailureInjector.check(self.host, "check_can_live_migrate_destination")
        return {"block_migration": block_migration}

    def pre_live_migration(self, context: RequestContext, instance: Instance,
                           migrate_data: dict[str, Any]) -> dict[str, Any]:
        FailureInjector.check(self.host, "pre_live_migration")
        fake = FakeInstance(uuid=instance.uuid, name=instance.name,
                            power_state=states.PAUSED_POWER, flavor_id=instance.flavor.flavorid,
                            image_id=instance.image_ref)
        with self._lock:
            self.instances[instance.uuid] = fake
        return migrate_data

    def live_migration(self, context: RequestContext, instance: Instance, dest: str,
                       migrate_data: dict[str, Any],
                       progress: Any) -> None:
        FailureInjector.check(self.host, "live_migration")
        self._get(instance)
        abort, force = threading.Event(), threading.Event()
        with self._lock:
            self._migrating[instance.uuid] = (abort, force)
        try:
            self._copy(instance, migrate_data, progress, abort, force)
        finally:
            with self._lock:
                self._migrating.pop(instance.uuid, None)
        with self._lock:
            self.instances.pop(instance.uuid, None)

    def _copy(self, instance: Instance, migrate_data: dict[str, Any], progress: Any,
              abort: threading.Event, force: threading.Event) -> None:
        """Report the copy in steps, [fake_driver] live_migration_delay long in all."""
        memory = instance.memory_mb * 1024 * 1024
        disk = instance.root_gb * 1024 ** 3 if migrate_data.get("block_migration") else 0
        pause = self.options.live_migration_delay / LIVE_MIGRATION_STEPS
        for step in range(1, LIVE_MIGRATION_STEPS + 1):
            if abort.wait(pause) if pause else abort.is_set():
                raise MigrationAborted(f"live migration of {instance.uuid} aborted")
            done = LIVE_MIGRATION_STEPS if force.is_set() else step
            report = {"memory_total": memory,
                      "memory_processed": memory * done // LIVE_MIGRATION_STEPS,
                      "memory_remaining": memory - memory * done // LIVE_MIGRATION_STEPS}
            if disk:
                report.update(disk_total=disk,
                              disk_processed=disk * done // LIVE_MIGRATION_STEPS,
                              disk_remaining=disk - disk * done // LIVE_MIGRATION_STEPS)
            progress(report)
            if done == LIVE_MIGRATION_STEPS:
                return

    def _migration_of(self, instance: Instance) -> tuple[threading.Event, threading.Event]:
        with self._lock:
            found = self._migrating.get(instance.uuid)
        if found is None:
            raise DriverError(f"no live migration of {instance.uuid} is under way on "
                              f"{self.host}")
        return found

    def live_migration_abort(self, instance: Instance) -> None:
        self._migration_of(instance)[0].set()

    def live_migration_force_complete(self, instance: Instance) -> None:
        self._migration_of(instance)[1].set()

    def post_live_migration_at_destination(self, context: RequestContext,
                                           instance: Instance) -> None:
        paused = instance.vm_state == states.PAUSED
        self._get(instance).power_state = states.PAUSED_POWER if paused else states.RUNNING

    def rollback_live_migration_at_destination(self, context: RequestContext,
                                               instance: Instance) -> None:
        with self._lock:
            self.instances.pop(instance.uuid, None)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [("fake_driver", OPTS)]
