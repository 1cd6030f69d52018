"""Snapshots and backups of servers: the image is created in the image service
as the caller, with Nova's properties, before the server's task state moves;
a state change that loses a race deletes the image again, so a refused
request leaves no image behind.

The agent then fills the image (createImage, createBackup and shelve all
end there); see nimbus.compute.agent.snapshots.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import quotas, states
from nimbus.compute.db.cell.instances import InstanceRecord
from nimbus.compute.objects.convert import to_object
from nimbus.compute.ops import actions
from nimbus.compute.ops.lookup import Found

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

LOG = logging.getLogger(__name__)

VM_STATES = (states.ACTIVE, states.STOPPED, states.PAUSED, states.SUSPENDED)

# Image attributes Nova carries over from the instance's image, beside its properties.
_INHERITED_ATTRIBUTES = ("min_ram", "min_disk", "disk_format", "container_format")
# Properties never copied into a snapshot (Nova's NON_INHERITABLE_IMAGE_PROPERTIES,
# its default non_inheritable_image_properties, and what cannot fit system metadata).
_NOT_INHERITED = frozenset({
    "cinder_encryption_key_id", "cinder_encryption_key_deletion_policy", "img_signature",
    "img_signature_hash_method", "img_signature_key_type", "img_signature_certificate_uuid",
    "cache_in_nova", "bittorrent", "mappings", "block_device_mapping", "img_mappings",
    "img_block_device_mapping"})
# Namespaces other services reserve (the image service refuses them).
_NOT_INHERITED_PREFIXES = ("os_glance",)


def check_metadata_quota(compute: Compute, project_id: str, count: int) -> None:
    """:raises QuotaExceeded: (403) more image metadata than metadata_items allows."""
    with compute.api_db.reader() as conn:
        allowed = quotas.limits(compute.conf, conn, project_id)["metadata_items"]
    if 0 <= allowed < count:
        raise exc.QuotaExceeded("Image metadata limit exceeded", resources=["metadata_items"])


def image_body(ctx: RequestContext, server: InstanceRecord, name: str, image_type: str,
               extra: dict[str, str] | None = None) -> tuple[dict[str, Any], str | None]:
    """The Image v2 create body of a snapshot of `server`, and the project to
    share it with (when the caller is not of the server's project)."""
    body: dict[str, Any] = {"name": name}
    for key, value in server.system_metadata.items():
        if value is None or not key.startswith("image_"):
            continue
        prop = key[len("image_"):]
        if prop in _INHERITED_ATTRIBUTES:
            body[prop] = int(value) if prop.startswith("min_") and value.isdigit() else value
        elif prop not in _NOT_INHERITED and not prop.startswith(_NOT_INHERITED_PREFIXES):
            body[prop] = value
    share_with = None
    if ctx.project_id != server.project_id:
        body["visibility"] = "shared"
        share_with = server.project_id
    else:
        body["visibility"] = "private"
    body.update({"instance_uuid": server.uuid, "user_id": str(ctx.user_id),
                 "image_type": image_type})
    body.update(extra or {})
    if image_type == "snapshot":
        # The driver's snapshot may be in another format: set at upload.
        body.pop("disk_format", None)
        body.pop("container_format", None)
    for attribute in ("min_ram", "min_disk"):
        if not isinstance(body.get(attribute, 0), int):
            body.pop(attribute)
    return body, share_with


def create_image(compute: Compute, ctx: RequestContext, server: InstanceRecord, name: str,
                 image_type: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    """The image a snapshot of `server` will fill, created as the caller.

    :raises ImageQuotaExceeded: :raises ImageNotAuthorized: (403)
    :raises ImageBadRequest: (400)
    """
    body, share_with = image_body(ctx, server, name, image_type, extra)
    image = compute.images.create(body, user_token=ctx.auth_token)
    if share_with:
        try:
            compute.images.add_member(image["id"], share_with, user_token=ctx.auth_token)
        except Exception:
            discard_image(compute, ctx, image["id"])
            raise
    return image


def discard_image(compute: Compute, ctx: RequestContext, image_id: str) -> None:
    """Delete an image this request created and cannot use (best effort: the
    request's own error is the one to report)."""
    try:
        compute.images.delete(image_id, user_token=ctx.auth_token)
    except Exception:
        LOG.exception("Could not delete image %s after a refused request", image_id)


def begin_with_image(compute: Compute, ctx: RequestContext, found: Found,
                     image: dict[str, Any], **begin: Any) -> InstanceRecord:
    """actions.begin, deleting `image` when the server's state refuses."""
    try:
        return actions.begin(compute, ctx, found, **begin)
    except Exception:
        discard_image(compute, ctx, image["id"])
        raise


def snapshot(compute: Compute, ctx: RequestContext, found: Found, name: str,
             metadata: dict[str, str]) -> dict[str, Any]:
    """createImage: the new image (its data is on its way).

    :raises InstanceInvalidState: (409) as the errors of create_image.
    """
    # As Nova: a lock does not stop a snapshot (it guards against changes).
    actions.check_state(found, "createImage", VM_STATES)
    image = create_image(compute, ctx, found.server, name, "snapshot", metadata)
    record = begin_with_image(compute, ctx, found, image, name="createImage",
                              vm_states=VM_STATES, check_locked=False,
                              values={"task_state": states.IMAGE_SNAPSHOT_PENDING})
    assert found.cell is not None
    compute.compute_api(found.cell).snapshot_instance(ctx, record.host or "",
                                                      to_object(record), image["id"])
    return image


def backup(compute: Compute, ctx: RequestContext, found: Found, name: str,
           backup_type: str, rotation: int, metadata: dict[str, str]) -> dict[str, Any]:
    """createBackup: the new image; the agent then keeps `rotation` backups
    of this type.

    :raises InstanceInvalidState: (409) as the errors of create_image.
    """
    actions.check_state(found, "createBackup", VM_STATES)
    image = create_image(compute, ctx, found.server, name, "backup",
                         {**metadata, "backup_type": backup_type})
    record = begin_with_image(compute, ctx, found, image, name="createBackup",
                              vm_states=VM_STATES, check_locked=False,
                              values={"task_state": states.IMAGE_BACKUP})
    assert found.cell is not None
    compute.compute_api(found.cell).backup_instance(ctx, record.host or "", to_object(record),
                                                    image["id"], backup_type, rotation)
    return image
