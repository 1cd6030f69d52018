"""Policy defaults of the image service, with Glance's rule names and defaults.

Glance's rules are not prefixed (``get_image``, ``add_member``), and policy
files written for Glance use those names, so Nimbus keeps them. Glance's
helper rules (``context_is_admin``, ``service_api``, ``default``) are
written out inline instead: other services register rules of those names
with other meanings in the one enforcer.

Targets: an image's attributes and custom properties, ``project_id`` its
owner, ``member_id`` the caller's project when it is a member of the image
(see nimbus.image.api.common.policy_target). Creating an image checks a
target of the proposed ``owner``/``project_id`` and ``visibility``.
"""

from __future__ import annotations

from oslo_policy import policy

ADMIN = "role:admin"
SERVICE = "role:service or role:admin"  # Glance's service_api, for now
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
_MEMBER = "project_id:%(member_id)s"
_SEEN = ("'community':%(visibility)s or 'public':%(visibility)s "
         "or 'shared':%(visibility)s")

ADMIN_OR_PROJECT_MEMBER = f"{ADMIN} or ({PROJECT_MEMBER})"
ADMIN_OR_PROJECT_READER = f"{ADMIN} or ({PROJECT_READER})"
ADMIN_OR_READER_GET_IMAGE = (
    f"{ADMIN} or (role:reader and (project_id:%(project_id)s or {_MEMBER} or {_SEEN}))")
ADMIN_OR_MEMBER_DOWNLOAD = (
    f"{ADMIN} or (role:member and (project_id:%(project_id)s or {_MEMBER} or {_SEEN}))")
ADMIN_OR_MEMBER_CREATE = f"{ADMIN} or ({PROJECT_MEMBER} and project_id:%(owner)s)"
ADMIN_OR_SHARED_MEMBER = f"{ADMIN} or (role:member and {_MEMBER})"
ADMIN_OR_READER_OR_SHARED_MEMBER = (
    f"{ADMIN} or role:reader and (project_id:%(project_id)s or {_MEMBER})")
SERVICE_OR_PROJECT_MEMBER = f"{SERVICE} or ({PROJECT_MEMBER} and project_id:%(owner)s)"
ANYONE = ""

_IMAGES = "/v2/images"
_IMAGE = "/v2/images/{image_id}"
_MEMBERS = _IMAGE + "/members"


def _rule(name: str, check: str, description: str,
          ops: list[tuple[str, str]]) -> policy.DocumentedRuleDefault:
    return policy.DocumentedRuleDefault(
        name=name, check_str=check, description=description,
        operations=[{"method": m, "path": p} for m, p in ops], scope_types=["project"])


IMAGE_RULES = [
    _rule("add_image", ADMIN_OR_MEMBER_CREATE, "Create new image", [("POST", _IMAGES)]),
    _rule("delete_image", ADMIN_OR_PROJECT_MEMBER, "Deletes the image",
          [("DELETE", _IMAGE)]),
    _rule("get_image", ADMIN_OR_READER_GET_IMAGE, "Get specified image",
          [("GET", _IMAGE)]),
    _rule("get_images", ADMIN_OR_PROJECT_READER, "Get all available images",
          [("GET", _IMAGES)]),
    _rule("modify_image", ADMIN_OR_PROJECT_MEMBER, "Updates given image",
          [("PATCH", _IMAGE)]),
    _rule("publicize_image", ADMIN, "Publicize given image", [("PATCH", _IMAGE)]),
    _rule("communitize_image", ADMIN_OR_PROJECT_MEMBER, "Communitize given image",
          [("PATCH", _IMAGE)]),
    _rule("download_image", ADMIN_OR_MEMBER_DOWNLOAD, "Downloads given image",
          [("GET", _IMAGE + "/file")]),
    _rule("download_from_store", ADMIN_OR_MEMBER_DOWNLOAD,
          "Downloads given image from a given store", [("GET", _IMAGE + "/file")]),
    _rule("upload_image", ADMIN_OR_PROJECT_MEMBER, "Uploads data to specified image",
          [("PUT", _IMAGE + "/file")]),
    _rule("delete_image_location", ADMIN, "Deletes the location of given image",
          [("PATCH", _IMAGE)]),
    _rule("get_image_location", ADMIN_OR_PROJECT_READER, "Reads the location of the image",
          [("GET", _IMAGE)]),
    _rule("set_image_location", ADMIN_OR_PROJECT_MEMBER, "Sets location URI to given image",
          [("PATCH", _IMAGE)]),
    _rule("add_image_location", SERVICE_OR_PROJECT_MEMBER, "Add location to an image",
          [("POST", _IMAGE + "/locations")]),
    _rule("fetch_image_location", SERVICE, "Show all locations associated to an image",
          [("GET", _IMAGE + "/locations")]),
    _rule("add_member", ADMIN_OR_PROJECT_MEMBER, "Create image member",
          [("POST", _MEMBERS)]),
    _rule("delete_member", ADMIN_OR_PROJECT_MEMBER, "Delete image member",
          [("DELETE", _MEMBERS + "/{member_id}")]),
    _rule("get_member", ADMIN_OR_READER_OR_SHARED_MEMBER, "Show image member details",
          [("GET", _MEMBERS + "/{member_id}")]),
    _rule("get_members", ADMIN_OR_READER_OR_SHARED_MEMBER, "List image members",
          [("GET", _MEMBERS)]),
    _rule("modify_member", ADMIN_OR_SHARED_MEMBER, "Update image member",
          [("PUT", _MEMBERS + "/{member_id}")]),
    _rule("deactivate", ADMIN_OR_PROJECT_MEMBER, "Deactivate image",
          [("POST", _IMAGE + "/actions/deactivate")]),
    _rule("reactivate", ADMIN_OR_PROJECT_MEMBER, "Reactivate image",
          [("POST", _IMAGE + "/actions/reactivate")]),
    _rule("copy_image", ADMIN, "Copy existing image to other stores",
          [("POST", _IMAGE + "/import")]),
]

TASK_RULES = [
    _rule("get_task", ANYONE, "Get an image task", [("GET", "/v2/tasks/{task_id}")]),
    _rule("get_tasks", ANYONE, "List tasks for all images", [("GET", "/v2/tasks")]),
    _rule("add_task", ANYONE, "Create an image task", [("POST", "/v2/tasks")]),
    policy.RuleDefault("modify_task", ANYONE, description="This policy is not used."),
    _rule("tasks_api_access", ADMIN,
          "Gates access to the task API itself, beside get_task(s) and add_task",
          [("GET", "/v2/tasks/{task_id}"), ("GET", "/v2/tasks"), ("POST", "/v2/tasks"),
           ("GET", _IMAGE + "/tasks")]),
]

DISCOVERY_RULES = [
    _rule("stores_info_detail", f"{ADMIN} or role:service",
          "Expose store specific information", [("GET", "/v2/info/stores/detail")]),
]


def list_rules() -> list[policy.RuleDefault]:
    return [*IMAGE_RULES, *TASK_RULES, *DISCOVERY_RULES]
