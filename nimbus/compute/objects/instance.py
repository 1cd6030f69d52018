"""An instance as the conductor, the scheduler and the agents pass it around."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from nimbus.common.objects import NimbusObject, fields, register
from nimbus.compute.objects.flavor import Flavor

# Columns of the instances table the object carries, as they are named there.
COLUMNS = (
    "id", "uuid", "user_id", "project_id", "image_ref", "kernel_id", "ramdisk_id",
    "hostname", "host", "node", "launched_on", "launch_index", "key_name", "key_data",
    "power_state", "vm_state", "task_state", "memory_mb", "vcpus", "root_gb",
    "ephemeral_gb", "instance_type_id", "user_data", "reservation_id", "launched_at",
    "terminated_at", "availability_zone", "display_name", "display_description", "locked",
    "locked_by", "os_type", "architecture", "vm_mode", "root_device_name", "config_drive",
    "access_ip_v4", "access_ip_v6", "auto_disk_config", "progress", "shutdown_terminate",
    "disable_terminate", "cleaned", "hidden", "created_at", "updated_at", "deleted_at",
    "deleted",
)


@register
class Instance(NimbusObject):
    # 1.0: first version
    VERSION = "1.0"

    if TYPE_CHECKING:  # the fields, for type checkers
        id: int | None
        uuid: str
        user_id: str
        project_id: str
        image_ref: str | None
        kernel_id: str | None
        ramdisk_id: str | None
        hostname: str | None
        host: str | None
        node: str | None
        launched_on: str | None
        launch_index: int | None
        key_name: str | None
        key_data: str | None
        power_state: int
        vm_state: str
        task_state: str | None
        memory_mb: int
        vcpus: int
        root_gb: int
        ephemeral_gb: int
        instance_type_id: int | None
        user_data: str | None
        reservation_id: str | None
        launched_at: datetime.datetime | None
        terminated_at: datetime.datetime | None
        availability_zone: str | None
        display_name: str | None
        display_description: str | None
        locked: bool
        locked_by: str | None
        os_type: str | None
        architecture: str | None
        vm_mode: str | None
        root_device_name: str | None
        config_drive: str | None
        access_ip_v4: str | None
        access_ip_v6: str | None
        auto_disk_config: bool
        progress: int | None
        shutdown_terminate: bool
        disable_terminate: bool
        cleaned: bool
        hidden: bool
        created_at: datetime.datetime | None
        updated_at: datetime.datetime | None
        deleted_at: datetime.datetime | None
        deleted: int
        flavor: Flavor
        old_flavor: Flavor | None
        new_flavor: Flavor | None
        metadata: dict[str, str]
        system_metadata: dict[str, str | None]
        tags: list[str]
        security_groups: list[str]
        scheduler_hints: dict[str, list[str]]
        pinned_availability_zone: str | None

    fields = {
        "id": fields.IntegerField(nullable=True),  # None until it is in a cell
        "uuid": fields.UUIDField(),
        "user_id": fields.StringField(),
        "project_id": fields.StringField(),
        "image_ref": fields.StringField(nullable=True),
        "kernel_id": fields.StringField(nullable=True),
        "ramdisk_id": fields.StringField(nullable=True),
        "hostname": fields.StringField(nullable=True),
        "host": fields.StringField(nullable=True),
        "node": fields.StringField(nullable=True),
        "launched_on": fields.StringField(nullable=True),
        "launch_index": fields.IntegerField(nullable=True),
        "key_name": fields.StringField(nullable=True),
        "key_data": fields.StringField(nullable=True),
        "power_state": fields.IntegerField(),
        "vm_state": fields.StringField(),
        "task_state": fields.StringField(nullable=True),
        "memory_mb": fields.IntegerField(),
        "vcpus": fields.IntegerField(),
        "root_gb": fields.IntegerField(),
        "ephemeral_gb": fields.IntegerField(),
        "instance_type_id": fields.IntegerField(nullable=True),
        "user_data": fields.StringField(nullable=True),
        "reservation_id": fields.StringField(nullable=True),
        "launched_at": fields.DateTimeField(nullable=True),
        "terminated_at": fields.DateTimeField(nullable=True),
        "availability_zone": fields.StringField(nullable=True),
        "display_name": fields.StringField(nullable=True),
        "display_description": fields.StringField(nullable=True),
        "locked": fields.BooleanField(),
        "locked_by": fields.StringField(nullable=True),
        "os_type": fields.StringField(nullable=True),
        "architecture": fields.StringField(nullable=True),
        "vm_mode": fields.StringField(nullable=True),
        "root_device_name": fields.StringField(nullable=True),
        "config_drive": fields.StringField(nullable=True),
        "access_ip_v4": fields.StringField(nullable=True),
        "access_ip_v6": fields.StringField(nullable=True),
        "auto_disk_config": fields.BooleanField(),
        "progress": fields.IntegerField(nullable=True),
        "shutdown_terminate": fields.BooleanField(),
        "disable_terminate": fields.BooleanField(),
        "cleaned": fields.BooleanField(),
        "hidden": fields.BooleanField(),
        "created_at": fields.DateTimeField(nullable=True),
        "updated_at": fields.DateTimeField(nullable=True),
        "deleted_at": fields.DateTimeField(nullable=True),
        "deleted": fields.IntegerField(),
        # From instance_extra and the tables around the instance:
        "flavor": fields.ObjectField("Flavor"),
        "old_flavor": fields.ObjectField("Flavor", nullable=True),
        "new_flavor": fields.ObjectField("Flavor", nullable=True),
        "metadata": fields.DictOfStringsField(),
        "system_metadata": fields.DictOfNullableStringsField(),
        "tags": fields.ListOfStringsField(),
        # What the create request asked for and server bodies show back
        # (kept in instance_extra's JSON "extra" column).
        "security_groups": fields.ListOfStringsField(),
        "scheduler_hints": fields.DictOfListOfStringsField(),
        "pinned_availability_zone": fields.StringField(nullable=True),
    }

    @property
    def name(self) -> str:
        """The name the hypervisor knows it by (Nova's instance_name_template)."""
        return f"instance-{self.id or 0:08x}"

    def column_values(self) -> dict[str, Any]:
        """The instances row of this object, for an insert."""
        return {c: getattr(self, c) for c in COLUMNS if c != "id" and self.obj_attr_is_set(c)}

    @classmethod
    def new(cls, **values: Any) -> Instance:
        """An instance not yet in any cell, with Nova's defaults for what is not given."""
        defaults: dict[str, Any] = {
            "id": None, "image_ref": None, "kernel_id": None, "ramdisk_id": None,
            "hostname": None, "host": None, "node": None, "launched_on": None,
            "launch_index": 0, "key_name": None, "key_data": None, "power_state": 0,
            "task_state": None, "user_data": None, "reservation_id": None,
            "launched_at": None, "terminated_at": None, "availability_zone": None,
            "display_name": None, "display_description": None, "locked": False,
            "locked_by": None, "os_type": None, "architecture": None, "vm_mode": None,
            "root_device_name": None, "config_drive": "", "access_ip_v4": None,
            "access_ip_v6": None, "auto_disk_config": False, "progress": 0,
            "shutdown_terminate": False, "disable_terminate": False, "cleaned": False,
            "hidden": False, "created_at": None, "updated_at": None, "deleted_at": None,
            "deleted": 0, "old_flavor": None, "new_flavor": None, "metadata": {},
            "system_metadata": {}, "tags": [], "security_groups": [],
            "scheduler_hints": {}, "pinned_availability_zone": None,
        }
        defaults.update(values)
        return cls(**defaults)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (for build requests), datetimes as ISO strings."""
        out: dict[str, Any] = {}
        for name in self.fields:
            if not self.obj_attr_is_set(name):
                continue
            value = getattr(self, name)
            if name in ("flavor", "old_flavor", "new_flavor"):
                value = value.to_dict() if value is not None else None
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Instance:
        values = {k: v for k, v in data.items() if k in cls.fields}
        for name in ("flavor", "old_flavor", "new_flavor"):
            if values.get(name) is not None:
                values[name] = Flavor.from_dict(values[name])
        return cls(**values)
