"""Images as the compute API's image proxy shows them (until 2.35): Image v2
bodies reduced to Nova's shape, statuses in upper case with a progress,
free-form properties as "metadata", and the server a snapshot came from."""

from __future__ import annotations

import datetime
from typing import Any

from nimbus.common.api.app import Request
from nimbus.compute.api import common
from nimbus.compute.objects.image import image_properties

_STATUS = {"active": "ACTIVE", "queued": "SAVING", "saving": "SAVING",
           "deleted": "DELETED", "pending_delete": "DELETED", "killed": "ERROR"}
_PROGRESS = {"queued": 25, "saving": 50, "active": 100}
_TRUE = ("1", "t", "true", "on", "y", "yes")


def _time(value: str | None) -> str | None:
    if not value:
        return None
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ImageViews:
    """Renders images for one request; `image_endpoint` is the image
    service's URL, for the alternate links."""

    def __init__(self, req: Request, image_endpoint: str) -> None:
        self.req = req
        self.image_endpoint = image_endpoint.rstrip("/")

    def links(self, image_id: str) -> list[dict[str, str]]:
        return [*common.links(self.req, "images", image_id),
                {"rel": "alternate", "type": "application/vnd.openstack.image",
                 "href": f"{self.image_endpoint}/images/{image_id}"}]

    def brief(self, image: dict[str, Any]) -> dict[str, Any]:
        return {"id": image["id"], "name": image.get("name"), "links": self.links(image["id"])}

    def detail(self, image: dict[str, Any]) -> dict[str, Any]:
        metadata = image_properties(image)
        status = image.get("status") or ""
        body: dict[str, Any] = {
            "id": image["id"], "name": image.get("name"),
            "minRam": int(image.get("min_ram") or 0),
            "minDisk": int(image.get("min_disk") or 0), "metadata": metadata,
            "created": _time(image.get("created_at")),
            "updated": _time(image.get("updated_at")),
            "status": _STATUS.get(status, "UNKNOWN"), "progress": _PROGRESS.get(status, 0),
            "OS-EXT-IMG-SIZE:size": image.get("size"), "links": self.links(image["id"]),
        }
        server = metadata.get("instance_uuid")
        if server is not None:
            body["server"] = {"id": server, "links": common.links(self.req, "servers", server)}
        disk_config = metadata.get("auto_disk_config")
        if disk_config is not None:
            body["OS-DCF:diskConfig"] = ("AUTO" if str(disk_config).strip().lower() in _TRUE
                                         else "MANUAL")
        return body
