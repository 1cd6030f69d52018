"""What the compute services know of an image: its id, formats, sizes and properties."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nimbus.common.objects import NimbusObject, fields, register

# Image attributes kept apart from its free-form properties.
BASE_ATTRIBUTES = ("id", "name", "status", "disk_format", "container_format", "size",
                   "virtual_size", "min_disk", "min_ram", "checksum", "os_hash_algo",
                   "os_hash_value", "owner", "visibility", "created_at", "updated_at")
# Image v2 attributes that are neither base attributes nor properties.
NOT_PROPERTIES = frozenset({"tags", "locations", "file", "schema", "self", "stores",
                            "protected", "os_hidden", "direct_url"})


def image_properties(image: dict[str, Any]) -> dict[str, Any]:
    """The free-form properties of an Image v2 body (Nova's image "metadata")."""
    return {k: v for k, v in image.items()
            if k not in BASE_ATTRIBUTES and k not in NOT_PROPERTIES}


@register
class ImageMeta(NimbusObject):
    # 1.0: first version
    VERSION = "1.0"

    if TYPE_CHECKING:  # the fields, for type checkers
        id: str | None
        name: str | None
        status: str | None
        disk_format: str | None
        container_format: str | None
        size: int | None
        virtual_size: int | None
        min_disk: int
        min_ram: int
        checksum: str | None
        os_hash_algo: str | None
        os_hash_value: str | None
        properties: dict[str, str | None]

    fields = {
        "id": fields.StringField(nullable=True),  # None for a volume-backed server
        "name": fields.StringField(nullable=True),
        "status": fields.StringField(nullable=True),
        "disk_format": fields.StringField(nullable=True),
        "container_format": fields.StringField(nullable=True),
        "size": fields.IntegerField(nullable=True),
        "virtual_size": fields.IntegerField(nullable=True),
        "min_disk": fields.IntegerField(),
        "min_ram": fields.IntegerField(),
        "checksum": fields.StringField(nullable=True),
        "os_hash_algo": fields.StringField(nullable=True),
        "os_hash_value": fields.StringField(nullable=True),
        "properties": fields.DictOfNullableStringsField(),
    }

    @classmethod
    def from_image(cls, image: dict[str, Any]) -> ImageMeta:
        """From an Image v2 body: base attributes, the rest are properties."""
        properties = {k: (None if v is None else str(v))
                      for k, v in image_properties(image).items()}
        return cls(id=image.get("id"), name=image.get("name"), status=image.get("status"),
                   disk_format=image.get("disk_format"),
                   container_format=image.get("container_format"), size=image.get("size"),
                   virtual_size=image.get("virtual_size"),
                   min_disk=int(image.get("min_disk") or 0),
                   min_ram=int(image.get("min_ram") or 0), checksum=image.get("checksum"),
                   os_hash_algo=image.get("os_hash_algo"),
                   os_hash_value=image.get("os_hash_value"), properties=properties)

    @classmethod
    def volume_backed(cls) -> ImageMeta:
        return cls(id=None, name=None, status=None, disk_format=None, container_format=None,
                   size=None, virtual_size=None, min_disk=0, min_ram=0, checksum=None,
                   os_hash_algo=None, os_hash_value=None, properties={})

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.fields}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageMeta:
        return cls(**{k: v for k, v in data.items() if k in cls.fields})
