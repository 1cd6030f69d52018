"""A server as Nova shows it, at the request's microversion.

One function builds the full body; the microversion decides which keys are
in it (Tempest checks every shape with additionalProperties false), policy
decides the admin-only ones. Rendering takes stored records, never objects,
and does no I/O: what a body needs is fetched set-wise beforehand.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from nimbus.common.api.app import Request
from nimbus.compute import states
from nimbus.compute.api import common
from nimbus.compute.api.common import since
from nimbus.compute.db.cell.instances import InstanceRecord

EXTENDED_ATTRS_RULE = "os_compute_api:os-extended-server-attributes"
HOST_STATUS_RULE = "os_compute_api:servers:show:host_status"


def isotime(value: datetime.datetime | None) -> str | None:
    """Nova's created/updated form: seconds, with a Z."""
    if value is None:
        return None
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def usage_time(value: datetime.datetime | None) -> str | None:
    """Nova's launched_at/terminated_at form: microseconds, no zone."""
    if value is None:
        return None
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def host_id(project_id: str, host: str | None) -> str:
    """An opaque per-project id of a host (Nova's hostId)."""
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def addresses(network_info: list[dict[str, Any]], extended: bool = True) -> dict[str, Any]:
    """network label -> its addresses, as Nova lists a server's ports."""
    found: dict[str, list[dict[str, Any]]] = {}
    for vif in network_info:
        label = vif.get("network", {}).get("label") or vif.get("network_name") or "network"
        entries = found.setdefault(label, [])
        for ip in vif.get("fixed_ips", []):
            entry: dict[str, Any] = {"version": ip.get("version", 4), "addr": ip["address"]}
            if extended:
                entry["OS-EXT-IPS:type"] = ip.get("type", "fixed")
                entry["OS-EXT-IPS-MAC:mac_addr"] = vif.get("address")
            entries.append(entry)
            for floating in ip.get("floating_ips", []):
                extra: dict[str, Any] = {"version": floating.get("version", 4),
                                         "addr": floating["address"]}
                if extended:
                    extra["OS-EXT-IPS:type"] = "floating"
                    extra["OS-EXT-IPS-MAC:mac_addr"] = vif.get("address")
                entries.append(extra)
    return found


def brief(req: Request, server: InstanceRecord) -> dict[str, Any]:
    """GET /servers: id, name and links."""
    return {"id": server.uuid, "name": server.display_name or "",
            "links": common.links(req, "servers", server.uuid)}


class Renderer:
    """Renders many servers for one request: policy is checked once."""

    def __init__(self, req: Request, host_status: dict[str, str] | None = None,
                 server_groups: dict[str, list[str]] | None = None,
                 volumes: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.req = req
        ctx = req.context
        target = {"project_id": ctx.project_id}
        self.admin_attrs = ctx.allowed(EXTENDED_ATTRS_RULE, target)
        self.show_host_status = since(req, "2.16") and ctx.allowed(HOST_STATUS_RULE, target)
        self.flavor_specs = since(req, "2.47") and ctx.allowed(
            "os_compute_api:os-flavor-extra-specs:index", target)
        self.host_status = host_status or {}
        self.server_groups = server_groups  # only show/update/rebuild pass them (2.71)
        self.volumes = volumes or {}
        self.root = common.bookmark_root(req)

    def detail(self, server: InstanceRecord, reduced: bool = False) -> dict[str, Any]:
        """The full body; `reduced` is what update and rebuild answered
        before 2.75: the base fields without the extensions'."""
        req = self.req
        status = states.status(server.vm_state, server.task_state)
        body: dict[str, Any] = {
            "id": server.uuid,
            "name": server.display_name or "",
            "status": status,
            "tenant_id": server.project_id,
            "user_id": server.user_id,
            "metadata": dict(server.metadata),
            "hostId": host_id(server.project_id, server.host),
            "image": self._image(server),
            "flavor": self._flavor(server),
            "created": isotime(server.created_at),
            "updated": isotime(server.updated_at or server.created_at),
            "addresses": addresses(server.network_info, extended=not reduced),
            "accessIPv4": server.access_ip_v4 or "",
            "accessIPv6": server.access_ip_v6 or "",
            "links": common.links(req, "servers", server.uuid),
            "OS-DCF:diskConfig": "AUTO" if server.auto_disk_config else "MANUAL",
        }
        if status in states.PROGRESS_STATUSES:
            body["progress"] = server.progress or 0
        if server.fault is not None and status in ("ERROR", "DELETED"):
            body["fault"] = self._fault(server.fault)
        if not reduced:
            self._extended(body, server)
        if since(req, "2.9"):
            body["locked"] = bool(server.locked)
        if self.show_host_status and not reduced:
            body["host_status"] = self.host_status.get(server.host or "", "")
        if since(req, "2.19"):
            body["description"] = server.display_description
        if since(req, "2.26"):
            body["tags"] = list(server.tags)
        if since(req, "2.63"):
            body["trusted_image_certificates"] = server.trusted_certs or None
        if since(req, "2.71") and self.server_groups is not None:
            body["server_groups"] = self.server_groups.get(server.uuid, [])
        if since(req, "2.73"):
            body["locked_reason"] = server.system_metadata.get("locked_reason") \
                if server.locked else None
        if since(req, "2.96"):
            body["pinned_availability_zone"] = server.pinned_availability_zone
        if since(req, "2.100"):
            body["scheduler_hints"] = dict(server.scheduler_hints)
        return body

    def _extended(self, body: dict[str, Any], server: InstanceRecord) -> None:
        """What Nova's server extensions add to show and list bodies."""
        body["OS-EXT-AZ:availability_zone"] = server.availability_zone or ""
        body["config_drive"] = server.config_drive or ""
        body["key_name"] = server.key_name
        body["OS-SRV-USG:launched_at"] = usage_time(server.launched_at)
        body["OS-SRV-USG:terminated_at"] = usage_time(server.terminated_at)
        if server.security_groups:
            body["security_groups"] = [{"name": n} for n in server.security_groups]
        body["OS-EXT-STS:task_state"] = server.task_state
        body["OS-EXT-STS:vm_state"] = server.vm_state
        body["OS-EXT-STS:power_state"] = server.power_state
        body["os-extended-volumes:volumes_attached"] = self._volumes(server)
        if self.admin_attrs:
            self._admin(body, server)

    def _admin(self, body: dict[str, Any], server: InstanceRecord) -> None:
        body["OS-EXT-SRV-ATTR:host"] = server.host
        body["OS-EXT-SRV-ATTR:hypervisor_hostname"] = server.node
        body["OS-EXT-SRV-ATTR:instance_name"] = f"instance-{server.id or 0:08x}"
        if since(self.req, "2.3"):
            body["OS-EXT-SRV-ATTR:reservation_id"] = server.reservation_id
            body["OS-EXT-SRV-ATTR:launch_index"] = server.launch_index or 0
            body["OS-EXT-SRV-ATTR:kernel_id"] = server.kernel_id or ""
            body["OS-EXT-SRV-ATTR:ramdisk_id"] = server.ramdisk_id or ""
            body["OS-EXT-SRV-ATTR:hostname"] = server.hostname or ""
            body["OS-EXT-SRV-ATTR:root_device_name"] = server.root_device_name
            body["OS-EXT-SRV-ATTR:user_data"] = server.user_data

    def _image(self, server: InstanceRecord) -> dict[str, Any] | str:
        if not server.image_ref:
            return ""
        image: dict[str, Any] = {
            "id": server.image_ref,
            "links": [{"rel": "bookmark", "href": f"{self.root}/images/{server.image_ref}"}]}
        if since(self.req, "2.98"):
            image["properties"] = {
                k[len("image_"):]: v for k, v in server.system_metadata.items()
                if k.startswith("image_") and k[len("image_"):] not in _IMAGE_BASE}
        return image

    def _flavor(self, server: InstanceRecord) -> dict[str, Any]:
        flavor = server.flavor
        if not since(self.req, "2.47"):
            flavorid = flavor.get("flavorid", "")
            return {"id": flavorid, "links": [
                {"rel": "bookmark", "href": f"{self.root}/flavors/{flavorid}"}]}
        body: dict[str, Any] = {
            "vcpus": flavor.get("vcpus", 0), "ram": flavor.get("memory_mb", 0),
            "disk": flavor.get("root_gb", 0), "ephemeral": flavor.get("ephemeral_gb", 0),
            "swap": flavor.get("swap", 0), "original_name": flavor.get("name", "")}
        if self.flavor_specs:
            body["extra_specs"] = dict(flavor.get("extra_specs", {}))
        return body

    def _fault(self, fault: dict[str, Any]) -> dict[str, Any]:
        body = {"code": fault["code"], "created": isotime(fault["created"]),
                "message": fault["message"] or ""}
        # Details (a traceback) are for admins, or for any 500 that is not ours.
        if fault.get("details") and (self.req.context.is_admin
                                     or common.is_admin(self.req) or fault["code"] != 500):
            body["details"] = fault["details"]
        return body

    def _volumes(self, server: InstanceRecord) -> list[dict[str, Any]]:
        found = []
        for bdm in self.volumes.get(server.uuid, []):
            entry: dict[str, Any] = {"id": bdm["volume_id"]}
            if since(self.req, "2.3"):
                entry["delete_on_termination"] = bool(bdm.get("delete_on_termination"))
            found.append(entry)
        return found


# Image attributes kept in system metadata that are not image properties.
_IMAGE_BASE = frozenset({"min_disk", "min_ram", "disk_format", "container_format",
                         "base_image_ref", "owner_specified.openstack.md5",
                         "owner_specified.openstack.object", "owner_specified.openstack.sha256"})
