"""The image route table: path -> {method: handler}, as Glance's v2 router."""

from __future__ import annotations

from collections.abc import Mapping

from nimbus.common.api.app import Handler
from nimbus.image.api.handlers import (
    data,
    images,
    imports,
    info,
    members,
    schemas,
    tags,
    tasks,
    versions,
)

_IMAGE = "/v2/images/{image_id}"

ROUTES: Mapping[str, Mapping[str, Handler]] = {
    "/": {"GET": versions.multiple_choices},
    "/versions": {"GET": versions.list_versions},
    "/v2": {"GET": versions.multiple_choices},
    "/v2/": {"GET": versions.multiple_choices},
    "/v2/images": {"GET": images.list_images, "POST": images.create_image},
    _IMAGE: {"GET": images.show_image, "PATCH": images.update_image,
             "DELETE": images.delete_image},
    _IMAGE + "/actions/deactivate": {"POST": images.deactivate_image},
    _IMAGE + "/actions/reactivate": {"POST": images.reactivate_image},
    _IMAGE + "/file": {"PUT": data.upload, "GET": data.download},
    _IMAGE + "/stage": {"PUT": data.stage},
    _IMAGE + "/import": {"POST": imports.import_image},
    _IMAGE + "/tasks": {"GET": tasks.image_tasks},
    _IMAGE + "/tags/{tag}": {"PUT": tags.add_tag, "DELETE": tags.delete_tag},
    _IMAGE + "/members": {"GET": members.list_members, "POST": members.create_member},
    _IMAGE + "/members/{member_id}": {
        "GET": members.show_member, "PUT": members.update_member,
        "DELETE": members.delete_member,
    },
    "/v2/stores/{store_id}/{image_id}": {"DELETE": imports.delete_from_store},
    "/v2/info/import": {"GET": info.import_info},
    "/v2/info/stores": {"GET": info.stores_info},
    "/v2/info/stores/detail": {"GET": info.stores_detail},
    "/v2/info/usage": {"GET": info.usage},
    "/v2/schemas/image": {"GET": schemas.image},
    "/v2/schemas/images": {"GET": schemas.images},
    "/v2/schemas/member": {"GET": schemas.member},
    "/v2/schemas/members": {"GET": schemas.members},
    "/v2/schemas/task": {"GET": schemas.task},
    "/v2/schemas/tasks": {"GET": schemas.tasks},
    "/v2/tasks": {"GET": tasks.list_tasks, "POST": tasks.create_task},
    "/v2/tasks/{task_id}": {"GET": tasks.show_task},
}
