"""What the scheduler is asked to place: one or more instances of a flavor and image."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nimbus.common.objects import NimbusObject, fields, register
from nimbus.compute.objects.flavor import Flavor
from nimbus.compute.objects.image import ImageMeta


@register
class RequestSpec(NimbusObject):
    # 1.0: first version
    VERSION = "1.0"

    if TYPE_CHECKING:  # the fields, for type checkers
        instance_uuid: str
        project_id: str
        user_id: str
        num_instances: int
        flavor: Flavor
        image: ImageMeta
        availability_zone: str | None
        scheduler_hints: dict[str, list[str]]
        requested_host: str | None
        requested_node: str | None
        force_hosts: list[str]
        force_nodes: list[str]
        ignore_hosts: list[str]
        group_uuid: str | None
        group_policy: str | None
        group_rules: dict[str, str]
        group_hosts: list[str]
        group_members: list[str]
        is_bfv: bool
        security_groups: list[str]
        num_attempts: int
        requested_cell: str | None

    fields = {
        "instance_uuid": fields.UUIDField(),
        "project_id": fields.StringField(),
        "user_id": fields.StringField(),
        "num_instances": fields.IntegerField(),
        "flavor": fields.ObjectField("Flavor"),
        "image": fields.ObjectField("ImageMeta"),
        "availability_zone": fields.StringField(nullable=True),
        # Nova's scheduler hints: a name to a list of strings.
        "scheduler_hints": fields.DictOfListOfStringsField(),
        # A forced or requested destination (host, node), from the API.
        "requested_host": fields.StringField(nullable=True),
        "requested_node": fields.StringField(nullable=True),
        "force_hosts": fields.ListOfStringsField(),
        "force_nodes": fields.ListOfStringsField(),
        # Hosts already tried (reschedules) or to avoid (moves).
        "ignore_hosts": fields.ListOfStringsField(),
        # The server group, if the request named one.
        "group_uuid": fields.StringField(nullable=True),
        "group_policy": fields.StringField(nullable=True),
        "group_rules": fields.DictOfStringsField(),
        "group_hosts": fields.ListOfStringsField(),
        "group_members": fields.ListOfStringsField(),
        "is_bfv": fields.BooleanField(),
        "security_groups": fields.ListOfStringsField(),
        "num_attempts": fields.IntegerField(),
        # The cell a move must stay in (uuid), when it must.
        "requested_cell": fields.StringField(nullable=True),
    }

    @classmethod
    def new(cls, **values: Any) -> RequestSpec:
        defaults: dict[str, Any] = {
            "num_instances": 1, "availability_zone": None, "scheduler_hints": {},
            "requested_host": None, "requested_node": None, "force_hosts": [],
            "force_nodes": [], "ignore_hosts": [], "group_uuid": None, "group_policy": None,
            "group_rules": {}, "group_hosts": [], "group_members": [], "is_bfv": False,
            "security_groups": [], "num_attempts": 0, "requested_cell": None,
        }
        defaults.update(values)
        return cls(**defaults)

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.fields if self.obj_attr_is_set(name)}
        out["flavor"] = self.flavor.to_dict()
        out["image"] = self.image.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RequestSpec:
        values = {k: v for k, v in data.items() if k in cls.fields}
        values["flavor"] = Flavor.from_dict(values["flavor"])
        values["image"] = ImageMeta.from_dict(values["image"])
        return cls.new(**values)
