"""The contract between a compute agent and the hypervisor it drives.

A driver is a small abstract class: what every driver must do is abstract,
what only some can do is declared in its ``capabilities`` and the agent
checks them before it calls (a call a driver does not declare raises
:class:`UnsupportedOperation`, it is never a silent no-op). Drivers are
found by entry point name in the group ``nimbus.virt.drivers``.
"""

from __future__ import annotations

import abc
import dataclasses
import importlib.metadata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from nimbus.compute import states

if TYPE_CHECKING:
    from oslo_config import cfg

    from nimbus.common.context import RequestContext
    from nimbus.compute.objects.image import ImageMeta
    from nimbus.compute.objects.instance import Instance
    from nimbus.compute.virt.provider_tree import ProviderTree

ENTRY_POINT_GROUP = "nimbus.virt.drivers"


class DriverError(Exception):
    """A driver failed to do what it was asked; the message says why."""


class UnsupportedOperation(DriverError):
    """The driver does not declare the capability the call needs."""


class InstanceNotFound(DriverError):
    """The hypervisor does not know the instance."""


class ResizeRefused(DriverError):
    """The driver will not do this resize (a disk cannot shrink, say) and has
    changed nothing: the instance is as it was (Nova's InstanceFaultRollback)."""


class MigrationAborted(DriverError):
    """A live migration stopped because it was asked to abort; the instance
    still runs on the source."""


@dataclass(frozen=True)
class DriverCapabilities:
    """What a driver can do beyond the abstract minimum; each maps to the
    COMPUTE_* trait placement knows it by, where one exists."""

    pause: bool = False
    suspend: bool = False
    rescue: bool = False
    snapshot: bool = False
    console_output: bool = False
    serial_console: bool = False
    set_admin_password: bool = False
    crash_dump: bool = False
    diagnostics: bool = False
    resize: bool = False  # resize and cold migration
    live_migration: bool = False
    block_migration: bool = False
    post_copy: bool = False
    evacuate: bool = False
    shelve: bool = False
    preserve_ephemeral: bool = False  # rebuild keeps the ephemeral disks
    config_drive: bool = False
    attach_interface: bool = False
    device_tagging: bool = False
    multiattach: bool = False

    _TRAITS: ClassVar[dict[str, str]] = {
        "device_tagging": "COMPUTE_DEVICE_TAGGING",
        "multiattach": "COMPUTE_VOLUME_MULTI_ATTACH",
        "attach_interface": "COMPUTE_NET_ATTACH_INTERFACE",
        "rescue": "COMPUTE_RESCUE_BFV",
    }

    def traits(self) -> set[str]:
        return {trait for name, trait in self._TRAITS.items() if getattr(self, name)}

    def as_dict(self) -> dict[str, bool]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class InstanceInfo:
    """What the hypervisor says of one instance."""

    power_state: int
    internal_id: str | None = None

    @property
    def running(self) -> bool:
        return self.power_state == states.RUNNING


@dataclass(frozen=True)
class NodeResources:
    """A node's capacity and use, for its compute_nodes record and placement."""

    hypervisor_hostname: str
    hypervisor_type: str
    hypervisor_version: int
    vcpus: int
    memory_mb: int
    local_gb: int
    vcpus_used: int = 0
    memory_mb_used: int = 0
    local_gb_used: int = 0
    cpu_info: str = "{}"
    host_ip: str | None = None
    disk_available_least: int | None = None
    # (architecture, hypervisor type, vm mode) triples the node runs, for
    # ImagePropertiesFilter (Nova's supported_instances).
    supported_instances: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Allocation:
    """Ratios and reservations an operator sets for a node's inventories."""

    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    reserved_host_cpus: int = 0
    reserved_host_memory_mb: int = 512
    reserved_host_disk_mb: int = 0


@dataclass
class SpawnRequest:
    """Everything a driver needs to create an instance."""

    instance: Instance
    image: ImageMeta
    admin_password: str | None = None
    injected_files: list[tuple[str, str]] = field(default_factory=list)
    allocations: dict[str, Any] = field(default_factory=dict)
    network_info: list[dict[str, Any]] = field(default_factory=list)
    block_device_info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SnapshotImage:
    """A snapshot of an instance's root disk, ready to upload: its formats as
    the image service knows them, and its bytes (whole, or in chunks to stream)."""

    disk_format: str
    container_format: str
    data: bytes | Iterable[bytes]


# A callback a long driver operation reports task-state progress through,
# e.g. update(task_state="image_uploading", expected_state="image_pending_upload").
UpdateTaskState = Callable[..., None]


class ComputeDriver(abc.ABC):
    """Base of every virt driver; one instance per agent (host)."""

    capabilities: ClassVar[DriverCapabilities] = DriverCapabilities()

    def __init__(self, conf: cfg.ConfigOpts, host: str) -> None:
        self.conf = conf
        self.host = host

    # --- the host ---------------------------------------------------------

    def init_host(self) -> None:  # noqa: B027 (optional hook)
        """Prepare the host before the agent serves requests."""

    def cleanup_host(self) -> None:  # noqa: B027 (optional hook)
        """Release what init_host took, as the agent stops."""

    @abc.abstractmethod
    def get_available_nodes(self) -> list[str]:
        """The hypervisor node names this host manages (usually one)."""

    @abc.abstractmethod
    def get_node_resources(self, nodename: str) -> NodeResources:
        """Capacity and use of `nodename`."""

    def update_provider_tree(self, tree: ProviderTree, nodename: str,
                             allocation: Allocation) -> None:
        """Set the inventories and traits of `nodename`'s provider (and any
        children) in `tree`. The default reports VCPU, MEMORY_MB and DISK_GB
        with the operator's ratios and reservations, and the capability traits."""
        res = self.get_node_resources(nodename)
        inventories: dict[str, dict[str, Any]] = {
            "VCPU": {"total": res.vcpus, "reserved": allocation.reserved_host_cpus,
                     "min_unit": 1, "max_unit": res.vcpus, "step_size": 1,
                     "allocation_ratio": allocation.cpu_allocation_ratio},
            "MEMORY_MB": {"total": res.memory_mb,
                          "reserved": allocation.reserved_host_memory_mb,
                          "min_unit": 1, "max_unit": res.memory_mb, "step_size": 1,
                          "allocation_ratio": allocation.ram_allocation_ratio},
        }
        if res.local_gb > 0:
            inventories["DISK_GB"] = {
                "total": res.local_gb,
                "reserved": (allocation.reserved_host_disk_mb + 1023) // 1024,
                "min_unit": 1, "max_unit": res.local_gb, "step_size": 1,
                "allocation_ratio": allocation.disk_allocation_ratio}
        tree.update_inventory(nodename, inventories)
        provider = tree.get(nodename)
        custom = {t for t in provider.traits if t.startswith("CUSTOM_")}
        tree.update_traits(nodename, custom | self.capabilities.traits() | self.host_traits())

    def host_traits(self) -> set[str]:
        """Traits of the host beyond the capability ones (CPU features...):
        by default the COMPUTE_IMAGE_TYPE_* of supported_image_types()."""
        return {f"COMPUTE_IMAGE_TYPE_{fmt.upper()}" for fmt in self.supported_image_types()}

    def supported_image_types(self) -> set[str]:
        """The image disk formats (raw, qcow2...) the driver boots."""
        return set()

    # --- instances: every driver -------------------------------------------

    @abc.abstractmethod
    def list_instance_uuids(self) -> list[str]:
        """Instances the hypervisor runs or holds, by uuid."""

    @abc.abstractmethod
    def get_info(self, instance: Instance) -> InstanceInfo:
        """Raises InstanceNotFound when the hypervisor does not know it."""

    @abc.abstractmethod
    def spawn(self, context: RequestContext, request: SpawnRequest) -> None:
        """Create and start the instance; raise DriverError on failure after
        releasing whatever was created."""

    @abc.abstractmethod
    def destroy(self, context: RequestContext, instance: Instance,
                network_info: list[dict[str, Any]], destroy_disks: bool = True) -> None:
        """Stop and remove the instance; a missing instance is not an error."""

    @abc.abstractmethod
    def reboot(self, context: RequestContext, instance: Instance, reboot_type: str) -> None:
        """reboot_type: SOFT (ask the guest) or HARD (reset)."""

    @abc.abstractmethod
    def power_off(self, instance: Instance, timeout: int = 0) -> None:
        """Stop the guest: ask it (within `timeout` seconds) then force."""

    @abc.abstractmethod
    def power_on(self, context: RequestContext, instance: Instance) -> None:
        """Start a stopped guest."""

    # --- instances: as capabilities declare -----------------------------------

    def _unsupported(self, what: str) -> UnsupportedOperation:
        return UnsupportedOperation(f"the {type(self).__name__} driver does not support {what}")

    def pause(self, instance: Instance) -> None:
        raise self._unsupported("pause")

    def unpause(self, instance: Instance) -> None:
        raise self._unsupported("unpause")

    def suspend(self, context: RequestContext, instance: Instance) -> None:
        raise self._unsupported("suspend")

    def resume(self, context: RequestContext, instance: Instance) -> None:
        raise self._unsupported("resume")

    def rescue(self, context: RequestContext, instance: Instance, rescue_image: ImageMeta,
               rescue_password: str | None) -> None:
        raise self._unsupported("rescue")

    def unrescue(self, context: RequestContext, instance: Instance) -> None:
        raise self._unsupported("unrescue")

    def snapshot(self, context: RequestContext, instance: Instance, image_id: str,
                 update_task_state: UpdateTaskState) -> SnapshotImage:
        """A consistent snapshot of the root disk, for the agent to upload to
        image `image_id`; call ``update_task_state(task_state=IMAGE_PENDING_UPLOAD)``
        once the guest's disk is captured."""
        raise self._unsupported("snapshot")

    def get_console_output(self, instance: Instance) -> str:
        raise self._unsupported("console output")

    def set_admin_password(self, instance: Instance, new_pass: str) -> None:
        raise self._unsupported("setting the admin password")

    def trigger_crash_dump(self, instance: Instance) -> None:
        raise self._unsupported("crash dumps")

    def get_diagnostics(self, instance: Instance) -> dict[str, Any]:
        """Nova's standard diagnostics (state, driver, hypervisor, cpu_details...)."""
        raise self._unsupported("diagnostics")

    def get_remote_console(self, instance: Instance, protocol: str) -> dict[str, Any]:
        """Where a console proxy reaches the guest's `protocol` (vnc, spice,
        serial, mks) console: host, port and internal_access_path."""
        raise self._unsupported(f"{protocol} consoles")

    def power_update_event(self, instance: Instance, target_power_state: str) -> None:
        """The hypervisor's owner powered the guest on or off out of band
        (POWER_ON / POWER_OFF, Nova's power-update external event)."""
        raise self._unsupported("power update events")

    def migrate_disk_and_power_off(self, context: RequestContext, instance: Instance,
                                   dest_host: str, flavor: Any) -> dict[str, Any]:
        """Stop the instance and hand its disks to `dest_host`; return what the
        destination needs to finish (disk info). Raise ResizeRefused, having
        touched nothing, for a resize the driver cannot do."""
        raise self._unsupported("resize and cold migration")

    def finish_migration(self, context: RequestContext, instance: Instance,
                         disk_info: dict[str, Any], image: ImageMeta, resize_instance: bool,
                         power_on: bool) -> None:
        raise self._unsupported("resize and cold migration")

    def confirm_migration(self, context: RequestContext, instance: Instance) -> None:
        raise self._unsupported("resize and cold migration")

    def finish_revert_migration(self, context: RequestContext, instance: Instance,
                                power_on: bool) -> None:
        raise self._unsupported("resize and cold migration")

    def check_can_live_migrate_destination(self, context: RequestContext, instance: Instance,
                                           block_migration: bool) -> dict[str, Any]:
        raise self._unsupported("live migration")

    def pre_live_migration(self, context: RequestContext, instance: Instance,
                           migrate_data: dict[str, Any]) -> dict[str, Any]:
        raise self._unsupported("live migration")

    def live_migration(self, context: RequestContext, instance: Instance, dest: str,
                       migrate_data: dict[str, Any],
                       progress: Callable[[dict[str, int]], None]) -> None:
        """Move the running instance to `dest`, reporting memory_* and disk_*
        byte counts through `progress`; return once the guest runs there.
        Raise MigrationAborted when live_migration_abort stopped it."""
        raise self._unsupported("live migration")

    def live_migration_abort(self, instance: Instance) -> None:
        """Stop the live migration of `instance` under way (it stays on the source)."""
        raise self._unsupported("live migration")

    def live_migration_force_complete(self, instance: Instance) -> None:
        """Make the live migration of `instance` under way converge now
        (pause the guest, or switch to post-copy)."""
        raise self._unsupported("live migration")

    def post_live_migration_at_destination(self, context: RequestContext,
                                           instance: Instance) -> None:
        raise self._unsupported("live migration")

    def rollback_live_migration_at_destination(self, context: RequestContext,
                                               instance: Instance) -> None:
        raise self._unsupported("live migration")


def driver_names() -> list[str]:
    return sorted(ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def load_driver(name: str, conf: cfg.ConfigOpts, host: str) -> ComputeDriver:
    """The driver registered under `name`, made for `host`."""
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, ComputeDriver)):
                raise DriverError(f"entry point {name!r} is not a ComputeDriver")
            return cls(conf, host)
    raise DriverError(f"no virt driver named {name!r}; known: {', '.join(driver_names())}")
