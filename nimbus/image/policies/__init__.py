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


# Metadata definitions. Target: the namespace's owner as ``project_id`` and
# its ``visibility`` (the caller's project when there is no namespace yet).
# Glance's metadef_admin and metadef_default helper rules are written out.
_PUBLIC_NS = "'public':%(visibility)s"
ADMIN_OR_READER_GET_NAMESPACE = (
    f"{ADMIN} or (role:reader and (project_id:%(project_id)s or {_PUBLIC_NS}))")
_NS = "/v2/metadefs/namespaces/{namespace_name}"


def _md(name: str, check: str, description: str, method: str, path: str
        ) -> policy.DocumentedRuleDefault:
    return _rule(name, check, description, [(method, path)])


METADEF_RULES = [
    _md("get_metadef_namespace", ADMIN_OR_READER_GET_NAMESPACE, "Show a metadata definition namespace",
        "GET", _NS),
    _md("get_metadef_namespaces", ADMIN_OR_PROJECT_READER, "List metadata definition namespaces",
        "GET", "/v2/metadefs/namespaces"),
    _md("modify_metadef_namespace", ADMIN, "Change a namespace", "PUT", _NS),
    _md("add_metadef_namespace", ADMIN, "Create a namespace, with any contents it is given",
        "POST", "/v2/metadefs/namespaces"),
    _md("delete_metadef_namespace", ADMIN, "Delete a namespace, or all its objects, properties or tags", "DELETE", _NS),
    _md("get_metadef_object", ADMIN_OR_READER_GET_NAMESPACE,
        "Show an object of a namespace", "GET", _NS + "/objects/{object_name}"),
    _md("get_metadef_objects", ADMIN_OR_READER_GET_NAMESPACE,
        "List the objects of a namespace", "GET", _NS + "/objects"),
    _md("modify_metadef_object", ADMIN, "Change an object of a namespace",
        "PUT", _NS + "/objects/{object_name}"),
    _md("add_metadef_object", ADMIN, "Add an object to a namespace",
        "POST", _NS + "/objects"),
    _md("delete_metadef_object", ADMIN, "Remove an object from a namespace",
        "DELETE", _NS + "/objects/{object_name}"),
    _md("list_metadef_resource_types", ADMIN_OR_READER_GET_NAMESPACE,
        "List resource types (of all, or of a namespace)", "GET", "/v2/metadefs/resource_types"),
    _md("get_metadef_resource_type", ADMIN_OR_READER_GET_NAMESPACE,
        "See a namespace's resource type associations", "GET", _NS + "/resource_types"),
    _md("add_metadef_resource_type_association", ADMIN,
        "Associate a namespace with a resource type",
        "POST", _NS + "/resource_types"),
    _md("remove_metadef_resource_type_association", ADMIN,
        "Dissociate a namespace from a resource type",
        "DELETE", _NS + "/resource_types/{name}"),
    _md("get_metadef_property", ADMIN_OR_READER_GET_NAMESPACE,
        "Show a property definition of a namespace", "GET", _NS + "/properties/{property_name}"),
    _md("get_metadef_properties", ADMIN_OR_READER_GET_NAMESPACE,
        "List the property definitions of a namespace", "GET", _NS + "/properties"),
    _md("modify_metadef_property", ADMIN, "Change a property definition",
        "PUT", _NS + "/properties/{property_name}"),
    _md("add_metadef_property", ADMIN, "Add a property definition to a namespace",
        "POST", _NS + "/properties"),
    _md("remove_metadef_property", ADMIN, "Remove a property definition from a namespace",
        "DELETE", _NS + "/properties/{property_name}"),
    _md("get_metadef_tag", ADMIN_OR_READER_GET_NAMESPACE, "Show a tag of a namespace",
        "GET", _NS + "/tags/{tag_name}"),
    _md("get_metadef_tags", ADMIN_OR_READER_GET_NAMESPACE, "List the tags of a namespace",
        "GET", _NS + "/tags"),
    _md("modify_metadef_tag", ADMIN, "Rename a tag of a namespace", "PUT", _NS + "/tags/{tag_name}"),
    _md("add_metadef_tag", ADMIN, "Add a tag to a namespace", "POST", _NS + "/tags/{tag_name}"),
    _md("add_metadef_tags", ADMIN, "Set or add several tags of a namespace", "POST", _NS + "/tags"),
    _md("delete_metadef_tag", ADMIN, "Remove a tag from a namespace",
        "DELETE", _NS + "/tags/{tag_name}"),
    _md("delete_metadef_tags", ADMIN, "Remove all the tags of a namespace", "DELETE", _NS + "/tags"),
]


def list_rules() -> list[policy.RuleDefault]:
    return [*IMAGE_RULES, *TASK_RULES, *DISCOVERY_RULES, *METADEF_RULES]
