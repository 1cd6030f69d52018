"""What an allocation candidates search takes and gives: the request's
groups and request-wide rules, the service's settings, and the candidates
found with the providers to summarise (the search is in candidates.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nimbus.placement.db.candidates import TreeRow


@dataclass
class Group:
    """One request group, by name, as parsed from the query."""

    suffix: str = ""
    resources: dict[str, int] = field(default_factory=dict)
    required: list[set[str]] = field(default_factory=list)  # any-of sets, ANDed
    forbidden: set[str] = field(default_factory=set)
    member_of: list[list[str]] = field(default_factory=list)  # any-of lists, ANDed
    forbidden_aggs: list[str] = field(default_factory=list)
    in_tree: str | None = None

    @property
    def granular(self) -> bool:
        return bool(self.suffix)


@dataclass
class Resolved:
    """A group with the ids of what it names."""

    group: Group
    resources: dict[int, int]  # class id -> amount, in request order
    required: list[set[int]]
    forbidden: set[int]

    @property
    def suffix(self) -> str:
        return self.group.suffix


@dataclass
class Wide:
    """The request-wide parameters."""

    limit: int | None = None
    group_policy: str | None = None
    root_required: set[str] = field(default_factory=set)
    root_forbidden: set[str] = field(default_factory=set)
    same_subtrees: list[set[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Settings:
    randomize: bool = False
    max_candidates: int = -1
    strategy: str = "depth-first"


@dataclass(slots=True)
class Candidate:
    """One allocation request: (provider, class id, amount) triples, which
    providers serve which group, and the root it is anchored to."""

    anchor: int
    granular: bool
    resources: tuple[tuple[int, int, int], ...]
    mappings: dict[str, frozenset[int]]
    _key: tuple[frozenset[tuple[int, int, int]], frozenset[Any]] | None = None

    @property
    def key(self) -> tuple[frozenset[tuple[int, int, int]], frozenset[Any]]:
        """Equal for candidates that would allocate the same, whatever the anchor."""
        if self._key is None:
            self._key = frozenset(self.resources), frozenset(self.mappings.items())
        return self._key

    @property
    def providers(self) -> set[int]:
        return {rp for rp, _, _ in self.resources}


@dataclass
class Found:
    requests: list[Candidate]
    providers: list[TreeRow]  # every provider to summarise with its inventories, in id order
    traits: list[tuple[int, int, str]]  # their traits (provider, id, name), when asked for
    class_names: dict[int, str]  # every resource class by id
