"""A flavor as an instance carries it: the sizes it was built with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nimbus.common.objects import NimbusObject, fields, register


@register
class Flavor(NimbusObject):
    # 1.0: first version
    VERSION = "1.0"

    if TYPE_CHECKING:  # the fields, for type checkers
        id: int
        flavorid: str
        name: str
        memory_mb: int
        vcpus: int
        root_gb: int
        ephemeral_gb: int
        swap: int
        rxtx_factor: float | None
        vcpu_weight: int | None
        disabled: bool
        is_public: bool
        description: str | None
        extra_specs: dict[str, str]

    fields = {
        "id": fields.IntegerField(),  # the API database's id
        "flavorid": fields.StringField(),
        "name": fields.StringField(),
        "memory_mb": fields.IntegerField(),
        "vcpus": fields.IntegerField(),
        "root_gb": fields.IntegerField(),
        "ephemeral_gb": fields.IntegerField(),
        "swap": fields.IntegerField(),
        "rxtx_factor": fields.FloatField(nullable=True),
        "vcpu_weight": fields.IntegerField(nullable=True),
        "disabled": fields.BooleanField(),
        "is_public": fields.BooleanField(),
        "description": fields.StringField(nullable=True),
        "extra_specs": fields.DictOfStringsField(),
    }

    def to_dict(self) -> dict[str, Any]:
        """The JSON form kept in instance_extra and build requests."""
        return {name: getattr(self, name) for name in self.fields}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Flavor:
        return cls(**{k: v for k, v in data.items() if k in cls.fields})
