"""Rescuing servers: the guest boots a rescue image (the one asked for, or
its own) with its disk attached, until unrescue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.objects.convert import to_object
from nimbus.compute.ops import actions
from nimbus.compute.ops.lookup import Found

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

RESCUE_VM_STATES = (states.ACTIVE, states.STOPPED, states.ERROR)


def rescue(compute: Compute, ctx: RequestContext, found: Found, is_admin: bool,
           password: str, rescue_image_ref: str | None) -> None:
    """:raises InstanceInvalidState: :raises InstanceIsLocked: (409)
    :raises UnsupportedRescueImage: (400) an image the caller cannot use."""
    actions.check_lock(found, is_admin)
    actions.check_state(found, "rescue", RESCUE_VM_STATES)
    actions.check_host(found)
    if rescue_image_ref:
        try:
            image = compute.images.meta(rescue_image_ref, user_token=ctx.auth_token)
        except exc.ImageNotFound:
            raise exc.UnsupportedRescueImage(image=rescue_image_ref) from None
        # As Nova: a volume snapshot image cannot be a rescue disk.
        if image.properties.get("img_block_device_mapping") or image.status != "active":
            raise exc.UnsupportedRescueImage(image=rescue_image_ref)
    record = actions.begin(compute, ctx, found, name="rescue", vm_states=RESCUE_VM_STATES,
                           is_admin=is_admin, values={"task_state": states.RESCUING})
    assert found.cell is not None
    compute.compute_api(found.cell).rescue_instance(ctx, record.host or "", to_object(record),
                                                    password, rescue_image_ref)


def unrescue(compute: Compute, ctx: RequestContext, found: Found, is_admin: bool) -> None:
    """:raises InstanceInvalidState: :raises InstanceIsLocked: (409)"""
    record = actions.begin(compute, ctx, found, name="unrescue",
                           vm_states=(states.RESCUED,), is_admin=is_admin,
                           values={"task_state": states.UNRESCUING})
    assert found.cell is not None
    compute.compute_api(found.cell).unrescue_instance(ctx, record.host or "",
                                                      to_object(record))
