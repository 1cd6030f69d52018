"""Versioned objects: pinned fingerprints (a field change needs a version bump) and backports."""

from __future__ import annotations

import pytest

from nimbus.common.objects import NimbusObject, NimbusObjectRegistry, fields
from tests.support.objects import drift, fingerprints, nimbus_objects
from tests.support.rpc_echo import EchoBox, EchoThing

# The fingerprint of every object defined under nimbus/, as "VERSION-hash".
# When test_object_versions_are_pinned fails: if you changed an object's
# fields (or remotable methods), bump its VERSION, record the change in its
# version comment (and FIELDS_ADDED or obj_make_compatible for a backport),
# add the new version to the APIVersion of the RPC API that carries it, and
# only then paste the new fingerprint here.
OBJECT_DATA: dict[str, str] = {
    "Flavor": "1.0-da7cd8599765f3f31b646f9087ea2a1c",
    "ImageMeta": "1.0-882ae17cbee6e6757e1e74b7bb8380f0",
    "Instance": "1.0-a20733d01cc4de6cdece2a8dec1fa56f",
    "Migration": "1.0-25c3048cb0eec85afd1564a44686524f",
    "RequestSpec": "1.0-fb8c29f3e56619b433414b57cbff3ecc",
    "Selection": "1.0-dfb45a81deade16938f4f0742203df3b",
}


def assert_pinned(pinned: dict[str, str], classes) -> None:
    problems = []
    for name, (old, new) in drift(pinned, classes).items():
        if old is None:
            problems.append(f"{name}: new object, pin {new!r}")
        elif new is None:
            problems.append(f"{name}: no longer exists, unpin it")
        elif old.split("-")[0] == new.split("-")[0]:
            problems.append(f"{name}: changed without a version bump ({old} -> {new})")
        else:
            problems.append(f"{name}: new version, pin {new!r} (was {old!r})")
    assert not problems, "object fingerprints differ:\n" + "\n".join(problems)


def test_object_versions_are_pinned():
    assert_pinned(OBJECT_DATA, nimbus_objects())


def test_tests_own_objects_are_not_pinned():
    # The echo objects are registered (this module imports them) but live
    # outside nimbus/, so a test object never forces a pin.
    assert "EchoThing" in NimbusObjectRegistry.obj_classes()
    assert "EchoThing" not in nimbus_objects()


def widget(version: str, **extra: fields.Field) -> type[NimbusObject]:
    @NimbusObjectRegistry.objectify  # a class of its own, not registered
    class Widget(NimbusObject):
        VERSION = version
        fields = {"name": fields.StringField(), **extra}

    return Widget


def test_a_field_change_without_a_version_bump_fails():
    pinned = fingerprints({"Widget": [widget("1.0")]})
    assert_pinned(pinned, {"Widget": [widget("1.0")]})
    changed = {"Widget": [widget("1.0", size=fields.IntegerField())]}
    with pytest.raises(AssertionError, match="Widget: changed without a version bump"):
        assert_pinned(pinned, changed)


def test_a_bumped_object_asks_for_its_new_pin():
    pinned = fingerprints({"Widget": [widget("1.0")]})
    bumped = {"Widget": [widget("1.1", size=fields.IntegerField())]}
    with pytest.raises(AssertionError, match=r"Widget: new version, pin '1\.1-"):
        assert_pinned(pinned, bumped)
    with pytest.raises(AssertionError, match="Widget: new object"):
        assert_pinned({}, bumped)


def test_a_field_type_change_changes_the_fingerprint():
    as_string = fingerprints({"Widget": [widget("1.0", size=fields.StringField())]})
    as_integer = fingerprints({"Widget": [widget("1.0", size=fields.IntegerField())]})
    assert as_string != as_integer


def test_backport_drops_fields_added_later():
    thing = EchoThing(name="n", size=1, colour="blue")
    old = thing.obj_to_primitive(target_version="1.0")
    assert old["nimbus_object.version"] == "1.0"
    assert set(old["nimbus_object.data"]) == {"name", "size"}
    back = EchoThing.obj_from_primitive(old)
    assert (back.name, back.size, back.obj_attr_is_set("colour")) == ("n", 1, False)
    new = thing.obj_to_primitive()
    assert new["nimbus_object.data"]["colour"] == "blue"


def test_nested_objects_follow_the_manifest():
    box = EchoBox(things=[EchoThing(name="n", size=1, colour="blue")])
    primitive = box.obj_to_primitive(version_manifest={"EchoThing": "1.0", "EchoBox": "1.0"})
    inner = primitive["nimbus_object.data"]["things"][0]
    assert inner["nimbus_object.version"] == "1.0"
    assert "colour" not in inner["nimbus_object.data"]
    assert primitive["nimbus_object.namespace"] == "nimbus"
