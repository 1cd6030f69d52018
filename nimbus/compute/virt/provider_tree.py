"""The resource providers of one host as its agent reports them to placement.

A driver's ``update_provider_tree`` edits this tree (inventories, traits,
child providers); the resource tracker then sends placement the difference
between it and what placement last acknowledged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Provider:
    uuid: str
    name: str
    parent_uuid: str | None = None
    generation: int | None = None  # placement's, once known
    inventories: dict[str, dict[str, Any]] = field(default_factory=dict)
    traits: set[str] = field(default_factory=set)
    aggregates: set[str] = field(default_factory=set)


class ProviderTree:
    """Providers by uuid; the root is the compute node."""

    def __init__(self) -> None:
        self.providers: dict[str, Provider] = {}

    def add(self, uuid: str, name: str, parent_uuid: str | None = None) -> Provider:
        if uuid not in self.providers:
            self.providers[uuid] = Provider(uuid, name, parent_uuid)
        return self.providers[uuid]

    def get(self, name_or_uuid: str) -> Provider:
        found = self.providers.get(name_or_uuid)
        if found is not None:
            return found
        for provider in self.providers.values():
            if provider.name == name_or_uuid:
                return provider
        raise KeyError(name_or_uuid)

    def exists(self, name_or_uuid: str) -> bool:
        try:
            self.get(name_or_uuid)
        except KeyError:
            return False
        return True

    def remove(self, name_or_uuid: str) -> None:
        provider = self.get(name_or_uuid)
        for child in [p for p in self.providers.values() if p.parent_uuid == provider.uuid]:
            self.remove(child.uuid)
        del self.providers[provider.uuid]

    def update_inventory(self, name_or_uuid: str, inventories: dict[str, dict[str, Any]]) -> None:
        self.get(name_or_uuid).inventories = copy.deepcopy(inventories)

    def update_traits(self, name_or_uuid: str, traits: set[str]) -> None:
        self.get(name_or_uuid).traits = set(traits)

    def parents_first(self) -> list[Provider]:
        """Every provider, each after its parent."""
        ordered: list[Provider] = []
        placed: set[str] = set()
        pending = list(self.providers.values())
        while pending:
            progress = False
            for provider in list(pending):
                if provider.parent_uuid is None or provider.parent_uuid in placed:
                    ordered.append(provider)
                    placed.add(provider.uuid)
                    pending.remove(provider)
                    progress = True
            if not progress:  # an orphan: its parent is not in the tree
                ordered.extend(pending)
                break
        return ordered

    def copy(self) -> ProviderTree:
        tree = ProviderTree()
        tree.providers = copy.deepcopy(self.providers)
        return tree
