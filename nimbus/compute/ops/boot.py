"""Booting servers: check the request against flavors, images, key pairs,
networks, zones, groups and quotas; record the servers in the API database;
hand them to the conductor.

Nothing is recorded until every check has passed, and the quota check
records the servers in the same transaction (see nimbus.compute.quotas), so a
refused request leaves nothing behind and parallel requests cannot pass a
limit together.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import quotas, states
from nimbus.compute.db import (
    aggregates,
    build_requests,
    flavors,
    keypairs,
    mappings,
    server_groups,
)
from nimbus.compute.objects.flavor import Flavor
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.request_spec import RequestSpec

if TYPE_CHECKING:
    from nimbus.compute.service import Compute


class BootError(exc.Invalid):
    """A create request that cannot be honoured (400)."""

    msg_fmt = "%(detail)s"


@dataclass
class BootRequest:
    """A create request, validated against its schema and normalized."""

    name: str
    flavor_ref: str
    image_ref: str | None
    key_name: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    user_data: str | None = None
    availability_zone: str | None = None
    networks: Any = None  # a list of dicts, "auto", "none", or None (not given)
    security_groups: list[str] = field(default_factory=list)
    config_drive: bool = False
    access_ip_v4: str | None = None
    access_ip_v6: str | None = None
    auto_disk_config: bool = False
    injected_files: list[tuple[str, str]] = field(default_factory=list)
    block_device_mappings: list[dict[str, Any]] = field(default_factory=list)
    min_count: int = 1
    max_count: int = 1
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    hostname: str | None = None
    requested_host: str | None = None
    requested_node: str | None = None
    forced_host: str | None = None
    forced_node: str | None = None
    scheduler_hints: dict[str, list[str]] = field(default_factory=dict)
    admin_password: str | None = None


@dataclass
class Booted:
    instance_uuids: list[str]
    reservation_id: str
    admin_password: str | None


def generate_password(length: int = 12) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def sanitize_hostname(name: str) -> str:
    """A hostname from a display name, as Nova makes one (2.90 lets callers choose)."""
    hostname = re.sub(r"[ _]", "-", name.lower())
    hostname = re.sub(r"[^\w.-]+", "", hostname, flags=re.ASCII)
    hostname = hostname.strip(".-")[:63].strip(".-")
    return hostname or "server"


# --- the checks ---------------------------------------------------------------------

def _flavor(conn: Connection, req: BootRequest, ctx: RequestContext,
            is_admin: bool) -> flavors.Flavor:
    ref = str(req.flavor_ref).rstrip("/").rsplit("/", 1)[-1]
    try:
        flavor = flavors.get(conn, ref, flavors.Viewer(ctx.project_id, is_admin))
    except exc.FlavorNotFound:
        raise BootError(detail="Invalid flavorRef provided.") from None
    if flavor.disabled:
        raise BootError(detail="Flavor is disabled.")
    return flavor


def _image(compute: Compute, ctx: RequestContext, req: BootRequest,
           flavor: flavors.Flavor) -> ImageMeta:
    image_id = req.image_ref
    if not image_id:
        image_id = next((b.get("uuid") or b.get("image_id") for b in req.block_device_mappings
                         if b.get("source_type") == "image"
                         and str(b.get("boot_index", "0")) == "0"), None)
        if not image_id:
            if req.block_device_mappings:
                raise BootError(detail="Block Device Mapping is Invalid: booting from a "
                                "volume needs the block storage service, which this cloud "
                                "does not run.")
            raise BootError(detail="Missing imageRef attribute")
    try:
        image = compute.images.meta(image_id, user_token=ctx.auth_token)
    except exc.ImageNotFound:
        raise BootError(detail="Can not find requested image") from None
    check_image_fits(image, flavor.memory_mb, flavor.root_gb)
    return image


def check_image_fits(image: ImageMeta, memory_mb: int, root_gb: int) -> None:
    """An image a server of this size may run (boot, rebuild).

    :raises BootError: (400) inactive, or too big for the flavor, in Nova's words.
    """
    if image.status != "active":
        raise BootError(detail=f"Image {image.id} is not active.")
    if image.min_ram and image.min_ram > memory_mb:
        raise BootError(detail="Flavor's memory is too small for requested image.")
    if root_gb:
        if image.min_disk and image.min_disk > root_gb:
            raise BootError(detail="Flavor's disk is too small for requested image. Flavor "
                            f"disk is {root_gb * 1024 ** 3} bytes, minimum "
                            f"requested disk is {image.min_disk * 1024 ** 3} bytes.")
        biggest = max(image.size or 0, image.virtual_size or 0)
        if biggest > root_gb * 1024 ** 3:
            raise BootError(detail="Flavor's disk is too small for requested image. Flavor "
                            f"disk is {root_gb * 1024 ** 3} bytes, image is "
                            f"{biggest} bytes.")


def _key(conn: Connection, req: BootRequest, ctx: RequestContext) -> keypairs.KeyPair | None:
    if req.key_name is None:
        return None
    try:
        return keypairs.get(conn, ctx.user_id or "", req.key_name)
    except exc.KeypairNotFound:
        raise BootError(detail="Invalid key_name provided.") from None


def _zone(compute: Compute, conn: Connection, req: BootRequest, is_admin: bool) -> None:
    """`zone`, `zone:host` and `zone:host:node` (the last two for admins)."""
    if not req.availability_zone:
        return
    zone, _, rest = req.availability_zone.partition(":")
    host, _, node = rest.partition(":")
    if host or node:
        if not is_admin:
            raise exc.Forbidden(detail="Only admins may name a host in the availability zone.")
        req.forced_host = host or None
        req.forced_node = node or None
    req.availability_zone = zone or None
    if not zone:
        return
    default = compute.conf.compute.default_availability_zone
    known = {default} | {agg["metadata"]["availability_zone"]
                         for found in aggregates.host_aggregates(conn).values()
                         for agg in found if "availability_zone" in agg["metadata"]}
    if zone not in known:
        raise BootError(detail="The requested availability zone is not available")


def _networks(req: BootRequest) -> None:
    """Without a network service a server can have no ports: 'none', 'auto'
    (which finds nothing to allocate) and no networks are fine, named
    networks or ports are not."""
    if isinstance(req.networks, list) and req.networks:
        first = req.networks[0]
        name = first.get("uuid") or first.get("port")
        raise BootError(detail=f"Network {name} could not be found." if first.get("uuid")
                        else f"Port id {name} could not be found.")


def _limits(compute: Compute, conn: Connection, req: BootRequest,
            project_id: str) -> None:
    allowed = quotas.limits(compute.conf, conn, project_id)
    items = allowed["metadata_items"]
    if items >= 0 and len(req.metadata) > items:
        raise exc.QuotaExceeded("Quota exceeded for metadata_items: Requested "
                                f"{len(req.metadata)}, but already used 0 of {items} "
                                "metadata_items", resources=["metadata_items"])
    files = allowed["injected_files"]
    if files >= 0 and len(req.injected_files) > files:
        raise exc.QuotaExceeded("Personality file limit exceeded",
                                resources=["injected_files"])
    for path, contents in req.injected_files:
        path_limit = allowed["injected_file_path_length"]
        if path_limit >= 0 and len(path) > path_limit:
            raise exc.QuotaExceeded("Personality file path exceeds maximum "
                                    f"{path_limit}", resources=["injected_file_path_length"])
        bytes_limit = allowed["injected_file_content_bytes"]
        if bytes_limit >= 0 and len(contents) > bytes_limit:
            raise exc.QuotaExceeded("Personality file content exceeds maximum "
                                    f"{bytes_limit}",
                                    resources=["injected_file_content_bytes"])


def _group(conn: Connection, req: BootRequest, ctx: RequestContext) -> dict[str, Any] | None:
    group_uuid = next(iter(req.scheduler_hints.get("group") or []), None)
    if not group_uuid:
        return None
    try:
        return server_groups.get(conn, group_uuid)
    except exc.NotFound:
        raise BootError(detail=f"Invalid server group {group_uuid}") from None


# --- the records ---------------------------------------------------------------------

def _flavor_object(flavor: flavors.Flavor) -> Flavor:
    return Flavor(id=flavor.id, flavorid=flavor.flavorid, name=flavor.name,
                  memory_mb=flavor.memory_mb, vcpus=flavor.vcpus, root_gb=flavor.root_gb,
                  ephemeral_gb=flavor.ephemeral_gb, swap=flavor.swap,
                  rxtx_factor=flavor.rxtx_factor, vcpu_weight=flavor.vcpu_weight,
                  disabled=flavor.disabled, is_public=flavor.is_public,
                  description=flavor.description, extra_specs=dict(flavor.extra_specs))


def image_system_metadata(image: ImageMeta) -> dict[str, str | None]:
    """What Nova keeps of the image in the instance's system metadata."""
    meta: dict[str, str | None] = {f"image_{k}": v for k, v in image.properties.items()}
    meta.update({"image_min_disk": str(image.min_disk), "image_min_ram": str(image.min_ram),
                 "image_disk_format": image.disk_format,
                 "image_container_format": image.container_format,
                 "image_base_image_ref": image.id or ""})
    return meta


def _instance(ctx: RequestContext, req: BootRequest, flavor: Flavor, image: ImageMeta,
              key: keypairs.KeyPair | None, index: int, count: int,
              reservation_id: str) -> Instance:
    name = req.name if count == 1 else f"{req.name}-{index + 1}"
    hostname = req.hostname if req.hostname and count == 1 else sanitize_hostname(name)
    return Instance.new(
        uuid=str(uuidlib.uuid4()), user_id=ctx.user_id, project_id=ctx.project_id,
        image_ref=image.id or "", kernel_id=image.properties.get("kernel_id"),
        ramdisk_id=image.properties.get("ramdisk_id"), hostname=hostname,
        launch_index=index, key_name=key.name if key else None,
        key_data=key.public_key if key else None, vm_state=states.BUILDING,
        task_state=states.SCHEDULING, memory_mb=flavor.memory_mb, vcpus=flavor.vcpus,
        root_gb=flavor.root_gb, ephemeral_gb=flavor.ephemeral_gb, instance_type_id=flavor.id,
        user_data=req.user_data, reservation_id=reservation_id,
        availability_zone=req.availability_zone, display_name=name,
        display_description=req.description, config_drive="True" if req.config_drive else "",
        access_ip_v4=req.access_ip_v4, access_ip_v6=req.access_ip_v6,
        auto_disk_config=req.auto_disk_config, os_type=image.properties.get("os_type"),
        architecture=image.properties.get("architecture"), flavor=flavor,
        metadata=dict(req.metadata), system_metadata=image_system_metadata(image),
        tags=list(req.tags), security_groups=list(req.security_groups),
        scheduler_hints={k: list(v) for k, v in req.scheduler_hints.items()},
        pinned_availability_zone=req.availability_zone)


def _spec(ctx: RequestContext, req: BootRequest, instance: Instance, image: ImageMeta,
          group: dict[str, Any] | None, count: int) -> RequestSpec:
    spec = RequestSpec.new(
        instance_uuid=instance.uuid, project_id=ctx.project_id, user_id=ctx.user_id,
        num_instances=count, flavor=instance.flavor, image=image,
        availability_zone=req.availability_zone,
        scheduler_hints={k: list(v) for k, v in req.scheduler_hints.items()},
        requested_host=req.requested_host, requested_node=req.requested_node,
        force_hosts=[req.forced_host] if req.forced_host else [],
        force_nodes=[req.forced_node] if req.forced_node else [],
        is_bfv=not req.image_ref, security_groups=list(req.security_groups))
    if group is not None:
        spec.group_uuid = group["uuid"]
        spec.group_policy = group["policy"]
        spec.group_rules = {k: str(v) for k, v in (group.get("rules") or {}).items()}
        spec.group_hosts = list(group.get("hosts", []))
        spec.group_members = list(group.get("members", []))
    return spec


def boot(compute: Compute, ctx: RequestContext, req: BootRequest, is_admin: bool) -> Booted:
    """Check, record and hand over a create request; what was created.

    :raises BootError: (400) :raises QuotaExceeded: (403) :raises Forbidden:
    """
    if req.min_count > req.max_count:
        raise BootError(detail="min_count must be <= max_count")
    with compute.api_db.reader() as conn:
        db_flavor = _flavor(conn, req, ctx, is_admin)
        key = _key(conn, req, ctx)
        _zone(compute, conn, req, is_admin)
        _limits(compute, conn, req, ctx.project_id or "")
        group = _group(conn, req, ctx)
    _networks(req)
    image = _image(compute, ctx, req, db_flavor)
    flavor = _flavor_object(db_flavor)
    reservation_id = "r-" + secrets.token_hex(4)
    password = req.admin_password
    if password is None and compute.conf.compute.enable_instance_password:
        password = generate_password()
    per_instance = {"instances": 1, "cores": flavor.vcpus, "ram": flavor.memory_mb}

    def record(conn: Connection, count: int) -> list[RequestSpec]:
        specs = []
        for index in range(count):
            instance = _instance(ctx, req, flavor, image, key, index, count, reservation_id)
            spec = _spec(ctx, req, instance, image, group, count)
            mappings.create_instance_mapping(conn, instance.uuid, ctx.project_id or "",
                                             ctx.user_id or "", flavor.vcpus,
                                             flavor.memory_mb)
            build_requests.create(conn, instance.to_dict(), spec.to_dict(),
                                  req.block_device_mappings, list(req.tags))
            if group is not None:
                server_groups.add_members(conn, group["uuid"], [instance.uuid])
            specs.append(spec)
        return specs

    specs = quotas.check_instances(compute.conf, compute.api_db, ctx.project_id or "",
                                   ctx.user_id or "", per_instance, req.min_count,
                                   req.max_count, record)
    compute.conductor.schedule_and_build_instances(
        ctx, specs, image, password, req.injected_files, req.networks)
    return Booted([s.instance_uuid for s in specs], reservation_id, password)


def decode_personality(files: list[dict[str, str]]) -> list[tuple[str, str]]:
    decoded = []
    for item in files:
        try:
            base64.b64decode(item.get("contents", ""), validate=True)
        except ValueError:
            raise BootError(detail="Personality content for "
                            f"{item.get('path')} cannot be decoded") from None
        decoded.append((item.get("path", ""), item.get("contents", "")))
    return decoded

