"""Fingerprints of versioned objects: what tests/unit/common/test_objects.py pins."""

from __future__ import annotations

import importlib
import pathlib
from collections.abc import Mapping

from oslo_versionedobjects.fixture import ObjectVersionChecker

from nimbus.common.objects import NimbusObjectRegistry
from nimbus.common.objects.base import NimbusObject

ROOT = pathlib.Path(__file__).resolve().parents[2] / "nimbus"

Classes = Mapping[str, list[type[NimbusObject]]]


def import_object_modules() -> list[str]:
    """Import every module of every `objects` package under nimbus/, so that
    each object a service defines is registered."""
    names = []
    for path in sorted(ROOT.glob("**/objects/**/*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if "__pycache__" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        importlib.import_module(name)
        names.append(name)
    return names


def nimbus_objects() -> dict[str, list[type[NimbusObject]]]:
    """Registered objects defined in the nimbus package (not tests' own)."""
    import_object_modules()
    found: dict[str, list[type[NimbusObject]]] = {}
    for name, classes in NimbusObjectRegistry.obj_classes().items():
        ours = [c for c in classes if c.__module__.split(".")[0] == "nimbus"]
        if ours:
            found[name] = ours  # type: ignore[assignment]
    return found


def fingerprints(classes: Classes) -> dict[str, str]:
    """Object name -> "version-hash of its fields and methods"."""
    return dict(ObjectVersionChecker(obj_classes=dict(classes)).get_hashes())


def drift(pinned: Mapping[str, str], classes: Classes) -> dict[str, tuple[str | None, str | None]]:
    """Objects whose fingerprint is not the pinned one: name -> (pinned, actual)."""
    actual = fingerprints(classes)
    return {name: (pinned.get(name), actual.get(name))
            for name in sorted(set(pinned) | set(actual))
            if pinned.get(name) != actual.get(name)}
