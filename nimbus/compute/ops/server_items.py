"""Server metadata, server tags and the password the metadata service keeps:
changed in the server's cell, in the states Nova allows, each change moving
the server's updated_at."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from nimbus.compute import exceptions as exc
from nimbus.compute import quotas, states
from nimbus.compute.db.cell import instance_items
from nimbus.compute.ops.actions import check_lock, check_state
from nimbus.compute.ops.lookup import Found

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

# Where Nova lets metadata and tags change (metadata also needs no task).
CHANGEABLE = (states.ACTIVE, states.PAUSED, states.SUSPENDED, states.STOPPED)
MAX_TAGS = 50
# The metadata service keeps a guest's encrypted password in four system
# metadata chunks of 255 characters.
PASSWORD_KEYS = tuple(f"password_{i}" for i in range(4))


def _invalid(found: Found, action: str, err: exc.UnexpectedTaskState,
             vm_only: bool) -> exc.InstanceInvalidState:
    """A guard that failed, in the words of the state check it re-made."""
    vm_state = err.kwargs.get("vm_state")
    if vm_only or vm_state not in CHANGEABLE:
        return exc.InstanceInvalidState(action=action, instance_uuid=found.server.uuid,
                                        attr="vm_state", state=vm_state)
    return exc.InstanceInvalidState(action=action, instance_uuid=found.server.uuid,
                                    attr="task_state", state=err.kwargs.get("actual"))


# --- metadata ---------------------------------------------------------------------------

def _metadata_limit(compute: Compute, project_id: str) -> int:
    with compute.api_db.reader() as conn:
        return quotas.limits(compute.conf, conn, project_id)["metadata_items"]


def update_metadata(compute: Compute, found: Found, items: Mapping[str, str],
                    replace: bool, is_admin: bool) -> dict[str, str]:
    """Merge `items` into the metadata (or make them all of it); the result.

    :raises InstanceIsLocked: :raises InstanceInvalidState: (409)
    :raises MetadataLimitExceeded: (403)
    """
    check_lock(found, is_admin)
    check_state(found, "update metadata", CHANGEABLE, (None,))
    assert found.cell is not None
    limit = _metadata_limit(compute, found.server.project_id)
    uuid = found.server.uuid
    with compute.cells.db(found.cell).writer() as conn:
        try:
            instance_items.touch_if(conn, uuid, CHANGEABLE, (None,))
        except exc.UnexpectedTaskState as err:
            raise _invalid(found, "update metadata", err, vm_only=False) from None
        result = dict(items) if replace else {**instance_items.metadata(conn, uuid), **items}
        if limit >= 0 and len(result) > limit:
            raise exc.MetadataLimitExceeded(allowed=limit)
        instance_items.set_metadata(conn, uuid, items, replace=replace)
    return result


def delete_metadata(compute: Compute, found: Found, key: str, is_admin: bool) -> None:
    """:raises MetadataItemNotFound: (404) :raises InstanceIsLocked:
    :raises InstanceInvalidState: (409)"""
    if key not in found.server.metadata:
        raise exc.MetadataItemNotFound()
    check_lock(found, is_admin)
    check_state(found, "delete metadata", CHANGEABLE, (None,))
    assert found.cell is not None
    with compute.cells.db(found.cell).writer() as conn:
        try:
            instance_items.touch_if(conn, found.server.uuid, CHANGEABLE, (None,))
        except exc.UnexpectedTaskState as err:
            raise _invalid(found, "delete metadata", err, vm_only=False) from None
        if not instance_items.delete_metadata(conn, found.server.uuid, key):
            raise exc.MetadataItemNotFound()


# --- tags ----------------------------------------------------------------------------------

def _check_tags_state(found: Found, action: str) -> None:
    """Nova checks the vm_state alone for tags (no lock, no task)."""
    check_state(found, action, CHANGEABLE, None, must_have_launched=False)


def add_tag(compute: Compute, found: Found, tag: str) -> bool:
    """Whether the tag is new. :raises TooManyTags: :raises InstanceInvalidState:"""
    _check_tags_state(found, "update tag")
    assert found.cell is not None
    with compute.cells.db(found.cell).writer() as conn:
        try:
            instance_items.touch_if(conn, found.server.uuid, CHANGEABLE)
        except exc.UnexpectedTaskState as err:
            raise _invalid(found, "update tag", err, vm_only=True) from None
        return instance_items.add_tag(conn, found.server.uuid, tag, MAX_TAGS)


def replace_tags(compute: Compute, found: Found, wanted: list[str]) -> list[str]:
    _check_tags_state(found, "update tags")
    return _tags_change(compute, found, "update tags", wanted)


def delete_tags(compute: Compute, found: Found) -> None:
    _check_tags_state(found, "delete tags")
    _tags_change(compute, found, "delete tags", [])


def _tags_change(compute: Compute, found: Found, action: str, wanted: list[str]) -> list[str]:
    assert found.cell is not None
    with compute.cells.db(found.cell).writer() as conn:
        try:
            instance_items.touch_if(conn, found.server.uuid, CHANGEABLE)
        except exc.UnexpectedTaskState as err:
            raise _invalid(found, action, err, vm_only=True) from None
        return instance_items.replace_tags(conn, found.server.uuid, wanted)


def delete_tag(compute: Compute, found: Found, tag: str) -> None:
    """:raises InstanceTagNotFound: :raises InstanceInvalidState:"""
    _check_tags_state(found, "delete tag")
    assert found.cell is not None
    with compute.cells.db(found.cell).writer() as conn:
        try:
            instance_items.touch_if(conn, found.server.uuid, CHANGEABLE)
        except exc.UnexpectedTaskState as err:
            raise _invalid(found, "delete tag", err, vm_only=True) from None
        instance_items.delete_tag(conn, found.server.uuid, tag)


# --- the metadata service's password ----------------------------------------------------------

def password(found: Found) -> str:
    sysmeta = found.server.system_metadata
    return "".join(sysmeta.get(k) or "" for k in PASSWORD_KEYS)


def set_password(compute: Compute, found: Found, value: str) -> None:
    """Keep `value` (empty: clear it) as the metadata service does.

    :raises InstanceNotReady: the server is not in a cell yet.
    """
    if found.cell is None:
        raise exc.InstanceNotReady(instance_id=found.server.uuid)
    chunks = {key: value[i * 255:(i + 1) * 255] for i, key in enumerate(PASSWORD_KEYS)}
    with compute.cells.db(found.cell).writer() as conn:
        instance_items.touch_if(conn, found.server.uuid)
        instance_items.set_system_metadata(conn, found.server.uuid, chunks)
