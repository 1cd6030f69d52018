"""Stored instances and migrations as RPC objects."""

from __future__ import annotations

from nimbus.compute.db.cell.instances import InstanceRecord
from nimbus.compute.db.cell.moves import MigrationRecord
from nimbus.compute.objects.flavor import Flavor
from nimbus.compute.objects.instance import COLUMNS, Instance
from nimbus.compute.objects.migration import COLUMNS as MIGRATION_COLUMNS
from nimbus.compute.objects.migration import Migration


def to_object(record: InstanceRecord) -> Instance:
    """The RPC object of a stored instance."""
    values = {c: getattr(record, c) for c in COLUMNS}
    values.update(
        flavor=Flavor.from_dict(record.flavor),
        old_flavor=Flavor.from_dict(record.old_flavor) if record.old_flavor else None,
        new_flavor=Flavor.from_dict(record.new_flavor) if record.new_flavor else None,
        metadata=dict(record.metadata), system_metadata=dict(record.system_metadata),
        tags=list(record.tags), security_groups=list(record.security_groups),
        scheduler_hints={k: list(v) for k, v in record.scheduler_hints.items()},
        pinned_availability_zone=record.pinned_availability_zone)
    return Instance(**values)


def to_migration(record: MigrationRecord) -> Migration:
    """The RPC object of a stored migration."""
    return Migration(**{c: getattr(record, c) for c in MIGRATION_COLUMNS})
