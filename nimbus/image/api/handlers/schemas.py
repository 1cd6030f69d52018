"""GET /v2/schemas/{image,images,member,members,task,tasks}: the JSON schemas
Glance publishes, which clients (glanceclient, the CLI) read to know which
attributes exist and which are read-only. The image schema also validates
image bodies (nimbus.image.api.handlers.images)."""

from __future__ import annotations

import functools
from typing import Any

from oslo_config import cfg
from starlette.responses import Response

from nimbus.common.api.app import Request, json_response
from nimbus.image.api import common

UUID_PATTERN = ("^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
                "-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$")
IMAGE_STATUSES = ["queued", "saving", "active", "killed", "deleted", "uploading",
                  "importing", "pending_delete", "deactivated"]
VISIBILITIES = ["community", "public", "private", "shared"]
MEMBER_STATUSES = ["pending", "accepted", "rejected"]
TASK_TYPES = ["import", "api_image_import", "location_import"]
TASK_STATUSES = ["pending", "processing", "success", "failure"]


def _s(types: str | list[str], description: str | None = None, **more: Any) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": types}
    if description:
        prop["description"] = description
    prop.update(more)
    return prop


def _ro(types: str | list[str], description: str | None = None,
        **more: Any) -> dict[str, Any]:
    return _s(types, description, readOnly=True, **more)


_NULL_STR = ["null", "string"]
_NULL_INT = ["null", "integer"]


def _base_image_properties(disk_formats: tuple[str, ...],
                           container_formats: tuple[str, ...]) -> dict[str, Any]:
    return {
        "id": _s("string", "The image's identifier, a UUID", pattern=UUID_PATTERN),
        "name": _s(_NULL_STR, "The image's name", maxLength=255),
        "status": _ro("string", "Where the image is in its life cycle", enum=IMAGE_STATUSES),
        "visibility": _s("string", "Who may see the image", enum=VISIBILITIES),
        "protected": _s("boolean", "Whether deleting the image is refused"),
        "os_hidden": _s("boolean", "Whether the image is left out of default listings"),
        "checksum": _ro(_NULL_STR, "MD5 of the image data", maxLength=32),
        "os_hash_algo": _ro(_NULL_STR, "Algorithm of os_hash_value", maxLength=64),
        "os_hash_value": _ro(_NULL_STR, "Hex digest of the image data by os_hash_algo",
                             maxLength=128),
        "owner": _s(_NULL_STR, "The project owning the image", maxLength=255),
        "size": _ro(_NULL_INT, "Bytes of image data"),
        "virtual_size": _ro(_NULL_INT, "Bytes of the disk the image holds"),
        "container_format": _s(_NULL_STR, "Container format of the data",
                               enum=[None, *container_formats]),
        "disk_format": _s(_NULL_STR, "Disk format of the data",
                          enum=[None, *disk_formats]),
        "created_at": _ro("string", "When the image was created"),
        "updated_at": _ro("string", "When the image last changed"),
        "tags": _s("array", "Strings attached to the image",
                   items={"type": "string", "maxLength": 255}),
        "direct_url": _ro("string", "Where the image data is, in its store"),
        "min_ram": _s("integer", "MiB of RAM the image needs to boot"),
        "min_disk": _s("integer", "GiB of disk the image needs to boot"),
        "self": _ro("string", "The image's path"),
        "file": _ro("string", "The path of the image's data"),
        "stores": _ro("string", "Comma-separated stores holding the image data"),
        "schema": _ro("string", "The path of this schema"),
        "locations": _s("array", "Where the image data is", items={
            "type": "object",
            "properties": {
                "url": {"type": "string", "maxLength": 255},
                "metadata": {"type": "object"},
                "validation_data": {
                    "type": "object", "writeOnly": True, "additionalProperties": False,
                    "description": "Checksum and hash of the data at the location",
                    "properties": {
                        "checksum": {"type": "string", "minLength": 32, "maxLength": 32},
                        "os_hash_algo": {"type": "string", "maxLength": 64},
                        "os_hash_value": {"type": "string", "maxLength": 128},
                    },
                    "required": ["os_hash_algo", "os_hash_value"],
                },
            },
            "required": ["url", "metadata"],
        }),
    }


def _custom_image_properties() -> dict[str, Any]:
    """The well-known custom properties Glance's default deployment adds."""
    def custom(prop: dict[str, Any]) -> dict[str, Any]:
        return {**prop, "is_base": False}

    return {
        "kernel_id": custom(_s(_NULL_STR, "Image to boot as kernel of an AMI-style image",
                               pattern=UUID_PATTERN)),
        "ramdisk_id": custom(_s(_NULL_STR, "Image to boot as ramdisk of an AMI-style image",
                                pattern=UUID_PATTERN)),
        "instance_uuid": custom(_s("string", "Instance the image was made from "
                                   "(informational)")),
        "architecture": custom(_s("string", "CPU architecture of the operating system")),
        "os_distro": custom(_s("string", "Distribution of the operating system")),
        "os_version": custom(_s("string", "Version of the operating system")),
        "description": custom(_s("string", "What the image is, for people")),
        "cinder_encryption_key_id": custom(_s(
            "string", "Key manager id of the key encrypting volumes made from the image")),
        "cinder_encryption_key_deletion_policy": custom(_s(
            "string", "When the image service deletes that key",
            enum=["on_image_deletion", "do_not_delete"])),
    }


_IMAGE_LINKS = [
    {"rel": "self", "href": "{self}"},
    {"rel": "enclosure", "href": "{file}"},
    {"rel": "describedby", "href": "{schema}"},
]


@functools.cache
def _image_schema(disk_formats: tuple[str, ...], container_formats: tuple[str, ...]
                  ) -> dict[str, Any]:
    return {
        "name": "image",
        "properties": {**_base_image_properties(disk_formats, container_formats),
                       **_custom_image_properties()},
        "additionalProperties": {"type": "string"},
        "links": _IMAGE_LINKS,
    }


def image_schema(conf: cfg.ConfigOpts) -> dict[str, Any]:
    """The image schema (its enums from [image] disk_formats and
    container_formats); custom properties must be strings."""
    return _image_schema(tuple(conf.image.disk_formats), tuple(conf.image.container_formats))


def _collection(name: str, item: dict[str, Any], paged: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {name: {"type": "array", "items": item}}
    links = [{"rel": "describedby", "href": "{schema}"}]
    if paged:
        properties["first"] = {"type": "string"}
        properties["next"] = {"type": "string"}
        links = [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                 *links]
    properties["schema"] = {"type": "string"}
    return {"name": name, "properties": properties, "links": links}


MEMBER_SCHEMA: dict[str, Any] = {
    "name": "member",
    "properties": {
        "member_id": _s("string", "The project the image is shared with"),
        "image_id": _s("string", "The shared image", pattern=UUID_PATTERN),
        "created_at": _s("string", "When the image was shared"),
        "updated_at": _s("string", "When the membership last changed"),
        "status": _s("string", "Whether the member took the image", enum=MEMBER_STATUSES),
        "schema": {"readOnly": True, "type": "string"},
    },
}

_TASK_PROPERTIES: dict[str, Any] = {
    "id": _s("string", "The task's identifier", pattern=UUID_PATTERN),
    "type": _s("string", "What kind of task it is", enum=TASK_TYPES),
    "status": _s("string", "Where the task is", enum=TASK_STATUSES),
    "input": _s(["null", "object"], "What the task was given"),
    "result": _s(["null", "object"], "What the task produced"),
    "owner": _s("string", "The project owning the task"),
    "message": _s("string", "What went wrong, when something did"),
    "image_id": _s("string", "The image the task works on"),
    "request_id": _s("string", "The request that started the task"),
    "user_id": _s("string", "The user who started the task"),
    "expires_at": _s(["null", "string"], "When the finished task will be removed"),
    "created_at": _s("string", "When the task was created"),
    "updated_at": _s("string", "When the task last changed"),
    "self": {"readOnly": True, "type": "string"},
    "schema": {"readOnly": True, "type": "string"},
}
TASK_SCHEMA: dict[str, Any] = {"name": "task", "properties": _TASK_PROPERTIES}
_TASK_SUMMARY = {"name": "task", "properties": {
    k: v for k, v in _TASK_PROPERTIES.items() if k not in ("input", "result", "message")}}


def images_schema(conf: cfg.ConfigOpts) -> dict[str, Any]:
    return _collection("images", image_schema(conf), paged=True)


def image(req: Request) -> Response:
    """GET /v2/schemas/image: 200."""
    return json_response(image_schema(common.image_service(req).conf))


def images(req: Request) -> Response:
    """GET /v2/schemas/images: 200."""
    return json_response(images_schema(common.image_service(req).conf))


def member(req: Request) -> Response:
    """GET /v2/schemas/member: 200."""
    return json_response(MEMBER_SCHEMA)


def members(req: Request) -> Response:
    """GET /v2/schemas/members: 200."""
    return json_response(_collection("members", MEMBER_SCHEMA, paged=False))


def task(req: Request) -> Response:
    """GET /v2/schemas/task: 200."""
    return json_response(TASK_SCHEMA)


def tasks(req: Request) -> Response:
    """GET /v2/schemas/tasks: 200."""
    return json_response(_collection("tasks", _TASK_SUMMARY, paged=True))
