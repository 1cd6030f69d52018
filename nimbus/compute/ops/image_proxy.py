"""The compute API's image proxy (until 2.35; image metadata until 2.38): Nova's
/images over the image service, called with the caller's token.

Nova's filters map to Image v2 ones (server -> instance_uuid, type ->
image_type, changes-since -> updated_at=gte:...), pages are followed up to
the compute API's limit, and metadata changes become JSON patches of the
image's properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute.objects.image import image_properties as properties
from nimbus.compute.ops import snapshot

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

# Nova's proxy filters -> the image service's.
FILTERS = {"name": "name", "status": "status", "changes-since": "changes-since",
           "server": "instance_uuid", "type": "image_type", "minRam": "min_ram",
           "minDisk": "min_disk"}
# Properties the image service keeps for itself: never removed by a PUT.
_RESERVED_PREFIXES = ("os_glance",)


def image_filters(query: Mapping[str, str]) -> dict[str, str]:
    """The Image v2 query of a proxy list's query string."""
    params: dict[str, str] = {}
    for name, value in query.items():
        if name in FILTERS:
            params[FILTERS[name]] = value
        elif name.startswith("property-"):
            params[name[len("property-"):]] = value
    if "instance_uuid" in params:  # a server's id, or one of its links
        params["instance_uuid"] = params["instance_uuid"].rstrip("/").rsplit("/", 1)[-1]
    if "status" in params:
        params["status"] = params["status"].lower()
    if "changes-since" in params:
        params["updated_at"] = "gte:" + params.pop("changes-since")
    return params


def list_images(compute: Compute, ctx: RequestContext, query: Mapping[str, str],
                limit: int, marker: str | None) -> list[dict[str, Any]]:
    """:raises InvalidRequest: (400) a filter or marker the image service refused"""
    params = image_filters(query)
    if marker:
        params["marker"] = marker
    return list(compute.images.iter_images(ctx.auth_token, params, limit))


def show(compute: Compute, ctx: RequestContext, image_id: str) -> dict[str, Any]:
    """:raises ImageNotFound:"""
    return compute.images.get(image_id, user_token=ctx.auth_token)


def delete(compute: Compute, ctx: RequestContext, image_id: str) -> None:
    """:raises ImageNotFound: :raises ImageNotAuthorized:"""
    if not compute.images.delete(image_id, user_token=ctx.auth_token):
        raise exc.ImageNotFound(image_id=image_id)


def _pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


def update_properties(compute: Compute, ctx: RequestContext, image: dict[str, Any],
                      wanted: Mapping[str, str], replace_all: bool) -> dict[str, Any]:
    """Set `wanted` (and, with `replace_all`, drop every other property); the
    image's properties after.

    :raises ImageNotAuthorized: (403) :raises QuotaExceeded: (403)
    """
    current = properties(image)
    kept = {} if replace_all else dict(current)
    merged = {**kept, **wanted}
    snapshot.check_metadata_quota(compute, ctx.project_id or "", len(merged))
    changes: list[dict[str, Any]] = []
    for key, value in wanted.items():
        if current.get(key) != value:
            changes.append({"op": "replace" if key in current else "add",
                            "path": _pointer(key), "value": value})
    if replace_all:
        changes += [{"op": "remove", "path": _pointer(key)} for key in current
                    if key not in wanted and not key.startswith(_RESERVED_PREFIXES)]
    if not changes:
        return current
    return properties(compute.images.update(image["id"], changes, user_token=ctx.auth_token))


def delete_property(compute: Compute, ctx: RequestContext, image: dict[str, Any],
                    key: str) -> None:
    """:raises NotFound: no such key :raises ImageNotAuthorized: (403)"""
    if key not in properties(image):
        raise exc.NotFound("Invalid metadata key")
    compute.images.update(image["id"], [{"op": "remove", "path": _pointer(key)}],
                          user_token=ctx.auth_token)
