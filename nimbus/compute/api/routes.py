"""The compute route table: path -> {method: handler}.

Every resource is under /v2.1; as Nova, a project id may follow /v2.1 (the
form clients used before 2.18), and must then be the caller's.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from nimbus.common.api.app import Request
from nimbus.compute.api.handlers import (
    consoles,
    extra_specs,
    flavor_access,
    flavors,
    image_metadata,
    images,
    instance_actions,
    keypairs,
    migrations,
    server_actions,
    server_external_events,
    server_info,
    server_metadata,
    server_tags,
    servers,
    versions,
)

Handler = Callable[[Request], Response]

_FLAVOR = "/flavors/{flavor_id}"
_SERVER = "/servers/{server_id}"

FLAVORS: dict[str, dict[str, Handler]] = {
    "/flavors": {"GET": flavors.list_flavors, "POST": flavors.create_flavor},
    "/flavors/detail": {"GET": flavors.list_flavors_detail},
    _FLAVOR: {"GET": flavors.show_flavor, "PUT": flavors.update_flavor,
              "DELETE": flavors.delete_flavor},
    _FLAVOR + "/action": {"POST": flavor_access.flavor_action},
    _FLAVOR + "/os-flavor-access": {"GET": flavor_access.list_flavor_access},
    _FLAVOR + "/os-extra_specs": {"GET": extra_specs.list_extra_specs,
                                  "POST": extra_specs.create_extra_specs},
    _FLAVOR + "/os-extra_specs/{key}": {"GET": extra_specs.show_extra_spec,
                                        "PUT": extra_specs.update_extra_spec,
                                        "DELETE": extra_specs.delete_extra_spec},
}

KEYPAIRS: dict[str, dict[str, Handler]] = {
    "/os-keypairs": {"GET": keypairs.list_keypairs, "POST": keypairs.create_keypair},
    "/os-keypairs/{keypair_name}": {"GET": keypairs.show_keypair,
                                    "DELETE": keypairs.delete_keypair},
}

SERVERS: dict[str, dict[str, Handler]] = {
    "/servers": {"GET": servers.list_servers, "POST": servers.create_server},
    "/servers/detail": {"GET": servers.list_servers_detail},
    _SERVER: {"GET": servers.show_server, "PUT": servers.update_server,
              "DELETE": servers.delete_server},
    _SERVER + "/action": {"POST": server_actions.server_action},
}

INSTANCE_ACTIONS: dict[str, dict[str, Handler]] = {
    _SERVER + "/os-instance-actions": {"GET": instance_actions.list_instance_actions},
    _SERVER + "/os-instance-actions/{request_id}": {
        "GET": instance_actions.show_instance_action},
}

SERVER_METADATA: dict[str, dict[str, Handler]] = {
    _SERVER + "/metadata": {"GET": server_metadata.list_metadata,
                            "POST": server_metadata.create_metadata,
                            "PUT": server_metadata.replace_metadata},
    _SERVER + "/metadata/{key}": {"GET": server_metadata.show_metadata_item,
                                  "PUT": server_metadata.update_metadata_item,
                                  "DELETE": server_metadata.delete_metadata_item},
}

SERVER_TAGS: dict[str, dict[str, Handler]] = {
    _SERVER + "/tags": {"GET": server_tags.list_tags, "PUT": server_tags.replace_tags,
                        "DELETE": server_tags.delete_tags},
    _SERVER + "/tags/{tag}": {"GET": server_tags.check_tag, "PUT": server_tags.add_tag,
                              "DELETE": server_tags.delete_tag},
}

SERVER_INFO: dict[str, dict[str, Handler]] = {
    _SERVER + "/diagnostics": {"GET": server_info.show_diagnostics},
    _SERVER + "/os-server-password": {"GET": server_info.show_password,
                                      "DELETE": server_info.clear_password},
    _SERVER + "/ips": {"GET": server_info.list_ips},
    _SERVER + "/ips/{network_label}": {"GET": server_info.show_ips},
    _SERVER + "/remote-consoles": {"POST": consoles.create_remote_console},
}

EXTERNAL_EVENTS: dict[str, dict[str, Handler]] = {
    "/os-server-external-events": {"POST": server_external_events.create_events},
}

_MIGRATION = _SERVER + "/migrations/{migration_id}"

MIGRATIONS: dict[str, dict[str, Handler]] = {
    "/os-migrations": {"GET": migrations.list_migrations},
    _SERVER + "/migrations": {"GET": migrations.list_server_migrations},
    _MIGRATION: {"GET": migrations.show_server_migration,
                 "DELETE": migrations.delete_server_migration},
    _MIGRATION + "/action": {"POST": migrations.server_migration_action},
}

_IMAGE = "/images/{image_id}"

IMAGES: dict[str, dict[str, Handler]] = {
    "/images": {"GET": images.list_images, "DELETE": images.delete_blank_image},
    "/images/detail": {"GET": images.list_images_detail},
    _IMAGE: {"GET": images.show_image, "DELETE": images.delete_image},
    _IMAGE + "/metadata": {"GET": image_metadata.list_metadata,
                           "POST": image_metadata.create_metadata,
                           "PUT": image_metadata.replace_metadata},
    _IMAGE + "/metadata/{key}": {"GET": image_metadata.show_metadata_item,
                                 "PUT": image_metadata.update_metadata_item,
                                 "DELETE": image_metadata.delete_metadata_item},
}

# One table per resource family; within a table a fixed path comes before a
# templated one it would match (/servers/detail before /servers/{server_id}).
FAMILIES: list[dict[str, dict[str, Handler]]] = [
    FLAVORS, KEYPAIRS, SERVERS, INSTANCE_ACTIONS, SERVER_METADATA, SERVER_TAGS, SERVER_INFO,
    EXTERNAL_EVENTS, MIGRATIONS, IMAGES]

RESOURCES: dict[str, dict[str, Handler]] = {
    path: methods for family in FAMILIES for path, methods in family.items()}

ROUTES: dict[str, dict[str, Handler]] = {
    "/": {"GET": versions.list_versions},
    "/v2.1": {"GET": versions.show_version},
    **{"/v2.1" + path: methods for path, methods in RESOURCES.items()},
    # Matched after the plain paths, so /v2.1/flavors/detail stays a flavor path.
    **{"/v2.1/{project_id}" + path: methods for path, methods in RESOURCES.items()},
}
