"""Versioned objects that cross RPC: the base class, the registry and fields."""

from __future__ import annotations

from nimbus.common.messaging import ovo_fields as fields
from nimbus.common.objects.base import (
    NimbusObject,
    NimbusObjectRegistry,
    NimbusObjectSerializer,
    register,
)

__all__ = ["NimbusObject", "NimbusObjectRegistry", "NimbusObjectSerializer", "fields",
           "register"]
