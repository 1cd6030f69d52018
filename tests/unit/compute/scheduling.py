"""Builders the scheduler's unit tests share: request specs, hosts, a configuration."""

from __future__ import annotations

import uuid
from typing import Any

from oslo_config import cfg

from nimbus.common import config
from nimbus.compute.objects.flavor import Flavor
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.scheduler.framework import GroupView, HostState, SchedulingState


def conf(**groups: dict[str, Any]) -> cfg.ConfigOpts:
    return config.make_conf(overrides={g: dict(v) for g, v in groups.items()})


def flavor(vcpus: int = 1, ram: int = 512, disk: int = 1, **extra_specs: str) -> Flavor:
    return Flavor(id=1, flavorid="f1", name="f1", memory_mb=ram, vcpus=vcpus, root_gb=disk,
                  ephemeral_gb=0, swap=0, rxtx_factor=1.0, vcpu_weight=None, disabled=False,
                  is_public=True, description=None, extra_specs=dict(extra_specs))


def image(disk_format: str = "raw", image_id: str = "img-1", **properties: str) -> ImageMeta:
    return ImageMeta(id=image_id, name="i", status="active", disk_format=disk_format,
                     container_format="bare", size=1, virtual_size=1, min_disk=0, min_ram=0,
                     checksum=None, os_hash_algo=None, os_hash_value=None,
                     properties=dict(properties))


def spec(the_flavor: Flavor | None = None, the_image: ImageMeta | None = None,
         **values: Any) -> RequestSpec:
    given: dict[str, Any] = {"instance_uuid": str(uuid.uuid4()), "project_id": "p1",
                             "user_id": "u1", **values}
    return RequestSpec.new(flavor=the_flavor or flavor(), image=the_image or image(), **given)


def host(name: str = "host-1", **values: Any) -> HostState:
    defaults: dict[str, Any] = {"uuid": str(uuid.uuid4()), "host": name, "nodename": name,
                                "cell_uuid": "cell-1",
                                "capacity": {"VCPU": 64, "MEMORY_MB": 65536, "DISK_GB": 100},
                                "used": {}}
    defaults.update(values)
    return HostState(**defaults)


def aggregate(**metadata: str) -> dict[str, Any]:
    return {"uuid": str(uuid.uuid4()), "name": f"agg-{uuid.uuid4().hex[:6]}",
            "metadata": dict(metadata)}


def state(the_spec: RequestSpec | None = None, group: GroupView | None = None) -> SchedulingState:
    found = SchedulingState(the_spec or spec(), group=group)
    found.instance_uuid = found.spec.instance_uuid
    return found


def group(policy: str, member_hosts: dict[str, str] | None = None,
          **rules: Any) -> GroupView:
    hosts = dict(member_hosts or {})
    return GroupView(uuid="g1", policy=policy, rules=rules, members=set(hosts),
                     member_hosts=hosts)
