"""NimbusObject: oslo.versionedobjects with Nimbus's namespace and table-driven backports.

Objects here only carry data across RPC: they have no remotable methods and
no indirection API, so where SQL runs is never hidden behind an object call.
A service defines its objects in its own ``objects/`` package and registers
them with :func:`register`; tests/unit/common/test_objects.py pins the
fingerprint of every object under ``nimbus.`` so that a change to the fields
without a version bump fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from oslo_utils import versionutils

from nimbus.common.messaging import ovo_base

_O = TypeVar("_O", bound=ovo_base.VersionedObject)


class NimbusObjectRegistry(ovo_base.VersionedObjectRegistry):
    """The registry Nimbus objects are found in when they arrive over RPC.

    oslo.versionedobjects keeps one registry per process; this subclass only
    gives our objects a name to register through.
    """


def register(cls: type[_O]) -> type[_O]:
    """Class decorator: make `cls` known to every deserializer in the process."""
    return NimbusObjectRegistry.register(cls)


class NimbusObject(ovo_base.VersionedObject):
    """Base of every object that crosses RPC.

    Bump ``VERSION`` whenever ``fields`` change. When a field is added, also
    record the version that added it in ``FIELDS_ADDED`` so that
    :meth:`obj_make_compatible` drops it for receivers that predate it; a
    change of meaning (not just an addition) overrides
    :meth:`obj_make_compatible` and calls the base first.
    """

    OBJ_PROJECT_NAMESPACE = "nimbus"
    OBJ_SERIAL_NAMESPACE = "nimbus_object"

    # field name -> version of this object that added it
    FIELDS_ADDED: ClassVar[Mapping[str, str]] = {}

    def obj_make_compatible(self, primitive: dict[str, Any], target_version: str) -> None:
        super().obj_make_compatible(primitive, target_version)
        target = versionutils.convert_version_to_tuple(target_version)
        for name, added in self.FIELDS_ADDED.items():
            if target < versionutils.convert_version_to_tuple(added):
                primitive.pop(name, None)


class NimbusObjectSerializer(ovo_base.VersionedObjectSerializer):
    """Turns Nimbus objects into primitives and back, optionally backported.

    ``manifest`` maps object names to the newest version the receiver
    understands (what an RPC API version carries); an object is sent at the
    lower of its own version and the manifest's, and nested objects follow
    the same manifest. Without a manifest objects go at their own version.
    """

    OBJ_BASE_CLASS = NimbusObject

    def __init__(self, manifest: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.manifest = dict(manifest or {})

    def serialize_entity(self, context: Any, entity: Any) -> Any:
        if isinstance(entity, NimbusObject) and self.manifest:
            target = self.manifest.get(entity.obj_name(), entity.VERSION)
            if (versionutils.convert_version_to_tuple(target)
                    > versionutils.convert_version_to_tuple(entity.VERSION)):
                target = entity.VERSION
            return entity.obj_to_primitive(target_version=target,
                                           version_manifest=self.manifest)
        return super().serialize_entity(context, entity)
