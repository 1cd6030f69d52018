"""Rebuilding a server: the same host and flavor, a new (or the same) image and
new attributes, checked as Nova's API checks them before it hands the
rebuild to the conductor.

The server's image_ref and the image properties kept in its system metadata
change with the task state, in one transaction, and the conductor is told
what they were so that it can put them back if the host refuses the image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import quotas, states
from nimbus.compute.db import keypairs
from nimbus.compute.db.cell.instances import InstanceRecord
from nimbus.compute.objects.convert import to_object
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.ops import actions, boot
from nimbus.compute.ops.lookup import Found

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

VM_STATES = (states.ACTIVE, states.STOPPED, states.ERROR)


@dataclass
class RebuildRequest:
    """A rebuild body, validated; `values` holds the instance columns it sets
    (display_name, metadata, access_ip_v4, user_data, hostname...)."""

    image_ref: str
    admin_password: str
    values: dict[str, Any] = field(default_factory=dict)
    auto_disk_config: bool | None = None
    preserve_ephemeral: bool = False
    injected_files: list[tuple[str, str]] = field(default_factory=list)
    set_key: bool = False  # 2.54: key_name given (None removes the key)
    key_name: str | None = None
    set_trusted_certs: bool = False  # 2.63
    trusted_certs: list[str] | None = None


def _image(compute: Compute, ctx: RequestContext, image_ref: str) -> ImageMeta:
    try:
        return compute.images.meta(image_ref, user_token=ctx.auth_token)
    except exc.ImageNotFound:
        raise exc.InvalidRequest(detail="Cannot find image for rebuild") from None


def _auto_disk_config(image: ImageMeta, wanted: bool | None) -> bool:
    """The server's disk config after the rebuild (the image's when not asked).

    :raises InvalidRequest: AUTO asked of an image that disables it.
    """
    raw = image.properties.get("auto_disk_config")
    if wanted and raw is not None and raw.strip().lower() == "disabled":
        raise exc.InvalidRequest(detail=f"Requested image {image.id} has automatic disk "
                                 "resize disabled.")
    if wanted is not None:
        return wanted
    return (raw or "").strip().lower() in ("1", "t", "true", "on", "y", "yes")


def _key(compute: Compute, ctx: RequestContext, req: RebuildRequest) -> dict[str, Any]:
    """The key pair columns a 2.54 key_name sets (the caller's key, as Nova
    looks it up: keys are users', servers projects').

    :raises InvalidRequest: no such key.
    """
    if not req.set_key:
        return {}
    if req.key_name is None:
        return {"key_name": None, "key_data": None}
    with compute.api_db.reader() as conn:
        try:
            key = keypairs.get(conn, ctx.user_id or "", req.key_name)
        except exc.KeypairNotFound:
            raise exc.InvalidRequest(detail="Invalid key_name provided.") from None
    return {"key_name": key.name, "key_data": key.public_key}


def _check_limits(compute: Compute, req: RebuildRequest, project_id: str) -> None:
    """:raises QuotaExceeded: (403) too much metadata or personality, in Nova's words."""
    with compute.api_db.reader() as conn:
        allowed = quotas.limits(compute.conf, conn, project_id)
    items = allowed["metadata_items"]
    metadata = req.values.get("metadata")
    if metadata is not None and 0 <= items < len(metadata):
        raise exc.MetadataLimitExceeded(allowed=items)
    files = allowed["injected_files"]
    if 0 <= files < len(req.injected_files):
        raise exc.QuotaExceeded("Personality file limit exceeded", resources=["injected_files"])
    path_limit = allowed["injected_file_path_length"]
    bytes_limit = allowed["injected_file_content_bytes"]
    for path, contents in req.injected_files:
        if 0 <= path_limit < len(path):
            raise exc.QuotaExceeded(f"Personality file path exceeds maximum {path_limit}",
                                    resources=["injected_file_path_length"])
        if 0 <= bytes_limit < len(contents):
            raise exc.QuotaExceeded(f"Personality file content exceeds maximum {bytes_limit}",
                                    resources=["injected_file_content_bytes"])


def _values(server: InstanceRecord, image: ImageMeta, req: RebuildRequest) -> dict[str, Any]:
    """What the rebuild changes in the instance, task state included."""
    system_metadata = {k: v for k, v in server.system_metadata.items()
                       if not k.startswith("image_")}
    system_metadata.update(boot.image_system_metadata(image))
    values: dict[str, Any] = dict(req.values)
    values.update(
        image_ref=image.id, kernel_id=image.properties.get("kernel_id") or "",
        ramdisk_id=image.properties.get("ramdisk_id") or "",
        os_type=image.properties.get("os_type"),
        architecture=image.properties.get("architecture"),
        vm_mode=image.properties.get("vm_mode"),
        auto_disk_config=_auto_disk_config(image, req.auto_disk_config),
        system_metadata=system_metadata, task_state=states.REBUILDING, progress=0)
    if req.set_trusted_certs:
        values["trusted_certs"] = req.trusted_certs
    return values


def rebuild(compute: Compute, ctx: RequestContext, found: Found, req: RebuildRequest,
            is_admin: bool) -> InstanceRecord:
    """Check the rebuild, record it, hand it to the conductor; the server as it is now.

    :raises InstanceInvalidState: :raises InstanceIsLocked: (409)
    :raises InvalidRequest: :raises BootError: (400) :raises QuotaExceeded: (403)
    """
    actions.check_lock(found, is_admin)
    actions.check_state(found, "rebuild", VM_STATES)
    actions.check_host(found)
    server = found.server
    image = _image(compute, ctx, req.image_ref)
    boot.check_image_fits(image, server.memory_mb, server.root_gb)
    _check_limits(compute, req, server.project_id)
    values = {**_values(server, image, req), **_key(compute, ctx, req)}
    orig_image_ref = server.image_ref or ""
    orig_system_metadata = dict(server.system_metadata)
    record = actions.begin(compute, ctx, found, name="rebuild", vm_states=VM_STATES,
                           values=values, is_admin=is_admin)
    compute.conductor.rebuild_instance(
        ctx, to_object(record), image, orig_image_ref, orig_system_metadata,
        req.admin_password, req.injected_files, req.preserve_ephemeral)
    return record
