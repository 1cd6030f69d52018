"""Images, members and lists of them as Glance's v2 API shows them."""

from __future__ import annotations

import datetime
from typing import Any

from nimbus.common.api.app import Request
from nimbus.image.api import common

# Properties the service keeps for itself and never shows.
HIDDEN_PROPERTIES = ("os_glance_stage_host", "os_glance_hash_op_host")
# The columns shown as they are, beside id and the timestamps.
BASE_ATTRIBUTES = ("name", "disk_format", "container_format", "visibility", "size",
                   "virtual_size", "status", "checksum", "protected", "min_ram",
                   "min_disk", "owner", "os_hidden", "os_hash_algo", "os_hash_value")


def isotime(value: datetime.datetime | None) -> str | None:
    """``2026-11-22T06:00:00Z``: seconds, UTC, as Glance prints times."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def image_view(req: Request, image: dict[str, Any]) -> dict[str, Any]:
    """The body of GET /v2/images/{id}."""
    view: dict[str, Any] = {k: v for k, v in (image.get("properties") or {}).items()
                            if k not in HIDDEN_PROPERTIES}
    for key in BASE_ATTRIBUTES:
        view[key] = image.get(key)
    image_id = image["id"]
    view["id"] = image_id
    view["created_at"] = isotime(image.get("created_at"))
    view["updated_at"] = isotime(image.get("updated_at"))
    active = [loc for loc in image.get("locations") or () if loc.get("status") == "active"]
    conf = common.image_service(req).conf
    if active and conf.image.show_image_direct_url:
        view["direct_url"] = active[0]["url"]
    view["tags"] = list(image.get("tags") or ())
    view["self"] = f"/v2/images/{image_id}"
    view["file"] = f"/v2/images/{image_id}/file"
    view["schema"] = "/v2/schemas/image"
    if active:
        view["stores"] = ",".join(loc["store"] for loc in active)
    return view


def member_view(member: dict[str, Any]) -> dict[str, Any]:
    """One member, as GET /v2/images/{id}/members/{member_id} shows it."""
    return {
        "image_id": member["image_id"],
        "member_id": member["member"],
        "status": member["status"],
        "created_at": isotime(member.get("created_at")),
        "updated_at": isotime(member.get("updated_at")),
        "schema": "/v2/schemas/member",
    }
