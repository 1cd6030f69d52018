"""/v2/images: create, list, show, update (JSON patch), delete, deactivate,
reactivate, with Glance's rules and messages."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

import jsonschema
from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.common.db.engine import DuplicateEntry
from nimbus.image import quotas
from nimbus.image.api import common, listing, views
from nimbus.image.api.handlers import schemas
from nimbus.image.db import images as db
from nimbus.image.service import Image

LOG = logging.getLogger(__name__)

# Called after an image is deleted (committed), with the image as it was:
# the data layer of the stores registers the removal of its data here.
on_delete: list[Callable[[Image, dict[str, Any]], None]] = []

RESERVED_NAMESPACE = "os_glance"
# Shown, never written: attributes the service computes.
DISALLOWED = ("direct_url", "self", "file", "schema", "stores")
READONLY = ("created_at", "updated_at", "status", "checksum", "size", "virtual_size",
            "direct_url", "self", "file", "schema", "id", "os_hash_algo", "os_hash_value")
RESERVED = ("location", "deleted", "deleted_at")
# Columns of the images table a client may set (beside tags).
WRITABLE_COLUMNS = ("name", "visibility", "protected", "os_hidden", "owner", "min_ram",
                    "min_disk", "disk_format", "container_format")
# Columns Glance creates images with but refuses in a create body.
CREATE_READONLY = ("created_at", "updated_at", "status", "checksum", "os_hash_algo",
                   "os_hash_value", "size", "virtual_size")


def validate(req: Request, partial: dict[str, Any]) -> None:
    """400 unless `partial` fits the image schema."""
    schema = schemas.image_schema(common.image_service(req).conf)
    try:
        jsonschema.validate(partial, schema)
    except jsonschema.ValidationError as exc:
        raise errors.BadRequest(
            f"Provided object does not match schema 'image': {exc.message}") from None


def _reserved(key: str) -> bool:
    return key in RESERVED or key.startswith(RESERVED_NAMESPACE)


def _check_visibility_policy(req: Request, target: dict[str, Any], visibility: Any) -> None:
    if visibility == "public":
        req.context.can("publicize_image", target)
    elif visibility == "community":
        req.context.can("communitize_image", target)


def _custom_count(props: dict[str, Any]) -> int:
    return sum(1 for name in props if not name.startswith(RESERVED_NAMESPACE))


# --- create ------------------------------------------------------------------


def _parse_create(req: Request) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    body = common.require_json(req)
    if not isinstance(body, dict):
        raise errors.BadRequest("Provided object does not match schema 'image': "
                                "the body must be a JSON object")
    for key in DISALLOWED:
        if key in body:
            raise errors.Forbidden(f"Attribute '{key}' is read-only.")
    validate(req, body)
    tags = list(body.pop("tags", []))
    if "locations" in body:
        raise errors.Forbidden("Attribute 'locations' is reserved.")
    columns: dict[str, Any] = {}
    for key in (*WRITABLE_COLUMNS, "id", *CREATE_READONLY):
        if key in body:
            columns[key] = body.pop(key)
    for key in body:
        if len(key) > 255:
            raise errors.BadRequest("Custom property should not be greater than 255 "
                                    "characters.")
        if _reserved(key):
            raise errors.Forbidden(f"Attribute '{key}' is reserved.")
    for key in CREATE_READONLY:
        if key in columns:
            raise errors.Forbidden(f"Attribute '{key}' is read-only.")
    return columns, body, tags


def create_image(req: Request) -> Response:
    """POST /v2/images: 201 and the new image (queued, no data)."""
    service = common.image_service(req)
    columns, props, tags = _parse_create(req)
    project = req.context.project_id
    owner = columns.get("owner", project)
    visibility = columns.get("visibility", "shared")
    target = {"project_id": owner, "owner": owner, "visibility": visibility}
    if not req.context.allowed("add_image", target):
        if owner != project:
            raise errors.Forbidden(f"You are not permitted to create images owned by '{owner}'")
        raise errors.Forbidden("You are not authorized to complete add_image action.")
    _check_visibility_policy(req, target, visibility)
    quotas.check_properties(service.conf, _custom_count(props))
    quotas.check_tags(service.conf, len(set(tags)))
    image_id = columns.pop("id", None) or str(uuid.uuid4())
    values = {
        "id": image_id, "status": "queued", "visibility": visibility, "owner": owner,
        "protected": bool(columns.get("protected", False)),
        "os_hidden": bool(columns.get("os_hidden", False)),
        "min_ram": columns.get("min_ram") or 0, "min_disk": columns.get("min_disk") or 0,
        "name": columns.get("name"), "disk_format": columns.get("disk_format"),
        "container_format": columns.get("container_format"), "deleted": False,
    }
    with service.db.writer() as conn:
        quotas.check_image_count(service.conf, conn, owner)
        if db.exists(conn, image_id):
            raise errors.Conflict(f"Image with identifier {image_id} already exists!")
        try:
            db.create(conn, values, props, tags)
        except DuplicateEntry:
            raise errors.Conflict(f"Image with identifier {image_id} already exists!") from None
        image = db.get(conn, image_id)
    assert image is not None
    return json_response(views.image_view(req, image), status=201,
                         headers={"Location": req.url(f"/v2/images/{image_id}")})


# --- read ----------------------------------------------------------------------


def list_images(req: Request) -> Response:
    """GET /v2/images: 200, one page of the images the caller may see."""
    project = req.context.project_id
    req.context.can("get_images", {"project_id": project, "owner": project,
                                   "visibility": "private"})
    service = common.image_service(req)
    query = listing.parse(req)
    with service.db.reader() as conn:
        marker = req.query.get("marker")
        if marker is not None:
            try:
                row = common.load_image(conn, req, marker)
            except errors.NotFound as exc:
                raise errors.BadRequest(exc.message) from None
            query.marker = row
        found = db.list_images(conn, query)
    shown = [image for image in found
             if req.context.allowed("get_image", common.policy_target(req, image))]
    body: dict[str, Any] = {"images": [views.image_view(req, image) for image in shown]}
    body.update(listing.links(req, found if len(found) == query.limit else []))
    return json_response(body)


def show_image(req: Request) -> Response:
    """GET /v2/images/{image_id}: 200."""
    service = common.image_service(req)
    with service.db.reader() as conn:
        image = common.load_image(conn, req, req.path_params["image_id"])
    common.authorize(req, "get_image", image)
    return json_response(views.image_view(req, image))


# --- update --------------------------------------------------------------------

_POINTER_BAD: list[tuple[Callable[[str], bool], str]] = [
    (lambda p: not p.startswith("/"), 'Pointer `{}` does not start with "/".'),
    (lambda p: re.search(r"/\s*?/", p[1:]) is not None, 'Pointer `{}` contains adjacent "/".'),
    (lambda p: len(p) > 1 and p.endswith("/"), 'Pointer `{}` end with "/".'),
    (lambda p: p[1:].strip() == "/", "Pointer `{}` does not contains valid token."),
    (lambda p: re.search("~[^01]", p) is not None or p.endswith("~"),
     'Pointer `{}` contains "~" not part of a recognized escape sequence.'),
]
_OPS = ("add", "remove", "replace")


def _parse_change(raw: Any, draft: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise errors.BadRequest("Operations must be JSON objects.")
    if draft == 10:
        op = raw.get("op")
        if op is None:
            raise errors.BadRequest("Unable to find `op` in JSON Schema change. It must be "
                                    f"one of the following: {', '.join(_OPS)}.")
        if op not in _OPS:
            raise errors.BadRequest(f"Invalid operation: `{op}`. It must be one of the "
                                    f"following: {', '.join(_OPS)}.")
        if "path" not in raw:
            raise errors.BadRequest("Unable to find 'path' in JSON Schema change")
        pointer = raw["path"]
    else:
        present = [key for key in _OPS if key in raw]
        if len(present) != 1:
            raise errors.BadRequest('Operation objects must contain exactly one member '
                                    'named "add", "remove", or "replace".')
        op = present[0]
        pointer = raw[op]
    if not isinstance(pointer, str):
        raise errors.BadRequest("Paths must be JSON pointers (strings).")
    for bad, message in _POINTER_BAD:
        if bad(pointer):
            raise errors.BadRequest(message.format(pointer))
    path = [part.replace("~1", "/").replace("~0", "~").strip()
            for part in pointer.lstrip("/").split("/")]
    if len(path) != 1:
        raise errors.BadRequest(f"Invalid JSON pointer for this resource: '/{'/'.join(path)}'")
    change = {"op": op, "name": path[0], "draft": draft}
    if op != "remove":
        if "value" not in raw:
            raise errors.BadRequest(f'Operation "{op}" requires a member named "value".')
        change["value"] = raw["value"]
    return change


def _validate_change(req: Request, change: dict[str, Any]) -> None:
    name = change["name"]
    if name in READONLY:
        raise errors.Forbidden(f"Attribute '{name}' is read-only.")
    if _reserved(name):
        raise errors.Forbidden(f"Attribute '{name}' is reserved.")
    if name == "locations":
        raise errors.Forbidden("Image locations may not be changed through this API.")
    if change["op"] != "remove":
        validate(req, {name: change["value"]})


class _Draft:
    """The image as a patch changes it."""

    def __init__(self, image: dict[str, Any]):
        self.image = image
        self.columns: dict[str, Any] = {}
        self.props: dict[str, Any] = dict(image["properties"])
        self.tags: list[str] | None = None

    def has(self, name: str) -> bool:
        return name in WRITABLE_COLUMNS or name == "tags" or name in self.props

    def set(self, name: str, value: Any) -> None:
        if name == "tags":
            self.tags = list(dict.fromkeys(value))
        elif name in WRITABLE_COLUMNS:
            if name in ("disk_format", "container_format") and \
                    self.image["status"] != "queued" and value != self.image[name]:
                raise errors.Forbidden(
                    f"Attribute {name} can be only replaced for a queued image.")
            if name in ("min_ram", "min_disk") and value < 0:
                raise errors.BadRequest(f"Provided object does not match schema 'image': "
                                        f"{name} must be non-negative")
            self.columns[name] = value
        else:
            self.props[name] = value


def _apply(req: Request, draft: _Draft, change: dict[str, Any], target: dict[str, Any]) -> None:
    name, op = change["name"], change["op"]
    if op == "remove":
        req.context.can("modify_image", target)
        if name in WRITABLE_COLUMNS or name == "tags":
            raise errors.Forbidden(f"Property {name} may not be removed.")
        if name not in draft.props:
            raise errors.Conflict(f"Property {name} does not exist.")
        del draft.props[name]
        return
    value = change["value"]
    if op == "replace" and name == "owner" and not common.is_admin(req):
        raise errors.Forbidden("Owner can't be updated by non admin.")
    if name == "visibility":
        _check_visibility_policy(req, target, value)
    req.context.can("modify_image", target)
    if op == "replace" and not draft.has(name):
        raise errors.Conflict(f"Property {name} does not exist.")
    if op == "add" and change["draft"] == 4 and draft.has(name):
        raise errors.Conflict(f"Property {name} already present.")
    draft.set(name, value)


def update_image(req: Request) -> Response:
    """PATCH /v2/images/{image_id} (JSON patch): 200 and the image."""
    media = req.headers.get("content-type", "").split(";")[0].strip().lower()
    body = common.require_json(req, patch=True)
    draft_version = 4 if media.endswith("v2.0-json-patch") else 10
    if not isinstance(body, list):
        raise errors.BadRequest("Request body must be a JSON array of operation objects.")
    changes = [_parse_change(raw, draft_version) for raw in body]
    for change in changes:
        _validate_change(req, change)
    service = common.image_service(req)
    image_id = req.path_params["image_id"]
    with service.db.writer() as conn:
        image = common.load_image(conn, req, image_id)
        target = common.policy_target(req, image)
        if not req.context.allowed("get_image", target):
            raise common.not_found(image_id)
        draft = _Draft(image)
        for change in changes:
            _apply(req, draft, change, target)
        if changes:
            _save(service, conn, image, draft)
        updated = db.get(conn, image_id)
    assert updated is not None
    return json_response(views.image_view(req, updated))


def _save(service: Image, conn: Any, image: dict[str, Any], draft: _Draft) -> None:
    image_id = image["id"]
    old = image["properties"]
    gone = [name for name in old if name not in draft.props]
    changed = {k: v for k, v in draft.props.items() if old.get(k) != v or k not in old}
    if changed:
        quotas.check_properties(service.conf, _custom_count(draft.props))
    if draft.tags is not None:
        quotas.check_tags(service.conf, len(draft.tags))
    db.delete_properties(conn, image_id, gone)
    db.set_properties(conn, image_id, changed)
    if draft.tags is not None:
        db.set_tags(conn, image_id, draft.tags)
    db.update(conn, image_id, **draft.columns)


# --- delete and status actions ---------------------------------------------------


def delete_image(req: Request) -> Response:
    """DELETE /v2/images/{image_id}: 204."""
    service = common.image_service(req)
    image_id = req.path_params["image_id"]
    with service.db.writer() as conn:
        image = common.load_image(conn, req, image_id)
        common.authorize(req, "delete_image", image)
        if image["protected"]:
            raise errors.Forbidden(f"Image {image_id} is protected and cannot be deleted.")
        if not db.soft_delete(conn, image_id):
            raise common.not_found(image_id)
    for hook in on_delete:
        try:
            hook(service, image)
        except Exception:
            # The image is gone for the API either way; its data is left
            # for an operator (or a later cleanup) to remove.
            LOG.exception("Removing the data of deleted image %s failed", image_id)
    return empty_response(204)


def _change_status(req: Request, rule: str, want: str, source: str, verb: str) -> Response:
    service = common.image_service(req)
    image_id = req.path_params["image_id"]
    with service.db.writer() as conn:
        image = common.load_image(conn, req, image_id)
        common.authorize(req, rule, image)
        status = image["status"]
        if status == want:
            return empty_response(204)
        if status != source or not db.update_if(conn, image_id, {"status": source},
                                                 status=want):
            raise errors.Forbidden(f"Not allowed to {verb} image in status '{status}'")
    return empty_response(204)


def deactivate_image(req: Request) -> Response:
    """POST /v2/images/{image_id}/actions/deactivate: 204."""
    return _change_status(req, "deactivate", "deactivated", "active", "deactivate")


def reactivate_image(req: Request) -> Response:
    """POST /v2/images/{image_id}/actions/reactivate: 204."""
    return _change_status(req, "reactivate", "active", "deactivated", "reactivate")
