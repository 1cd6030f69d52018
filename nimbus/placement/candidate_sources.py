"""Where a candidates search gets its answers about providers: the database
(a search over every tree at once), or a slice of trees read whole in one
query (a search with a limit), whose questions are then answered in memory.

Both answer alike. A slice reads each of its providers with every
inventory, and with a flag per request group computed by the database
(whether the inventory can take what the group asks of its class), so
that capacity is decided by the same SQL either way.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from sqlalchemy.engine import Connection

from nimbus.placement.db import candidates as cdb
from nimbus.placement.db.candidates import FLAGS, Scope, TreeRow


class Source(Protocol):
    """The questions a search asks about the providers of a scope."""

    def capacity(self, suffix: str, amounts: dict[int, int], scope: Scope,
                 provider_traits: Sequence[Collection[int]] = (),
                 tree_traits: Sequence[Collection[int]] = ()) -> list[TreeRow]: ...

    def traits_in(self, trait_ids: Collection[int], scope: Scope) -> dict[int, set[int]]: ...

    def with_all_traits(self, required: Sequence[Collection[int]], scope: Scope) -> set[int]: ...

    def with_any_trait(self, trait_ids: Collection[int], scope: Scope) -> set[int]: ...

    def any_with_trait(self, trait_ids: Collection[int], scope: Scope) -> bool: ...

    def in_aggregates(self, member_of: Sequence[Sequence[str]], scope: Scope) -> set[int]: ...

    def providers_and_roots(self, include: Collection[int],
                            exclude: Collection[int]) -> list[tuple[int, int]]: ...


class DbSource:
    """Every answer from the database."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def capacity(self, suffix: str, amounts: dict[int, int], scope: Scope,
                 provider_traits: Sequence[Collection[int]] = (),
                 tree_traits: Sequence[Collection[int]] = ()) -> list[TreeRow]:
        return cdb.with_capacity(self.conn, amounts, scope, provider_traits=provider_traits,
                                 tree_traits=tree_traits)

    def traits_in(self, trait_ids: Collection[int], scope: Scope) -> dict[int, set[int]]:
        return cdb.traits_in(self.conn, trait_ids, scope)

    def with_all_traits(self, required: Sequence[Collection[int]], scope: Scope) -> set[int]:
        return cdb.with_all_traits(self.conn, required, scope)

    def with_any_trait(self, trait_ids: Collection[int], scope: Scope) -> set[int]:
        return cdb.with_any_trait(self.conn, trait_ids, scope)

    def any_with_trait(self, trait_ids: Collection[int], scope: Scope) -> bool:
        if scope is None:
            return cdb.any_with_trait(self.conn, trait_ids)
        return bool(cdb.with_any_trait(self.conn, trait_ids, scope))

    def in_aggregates(self, member_of: Sequence[Sequence[str]], scope: Scope) -> set[int]:
        return cdb.in_aggregates(self.conn, member_of, scope)

    def providers_and_roots(self, include: Collection[int],
                            exclude: Collection[int]) -> list[tuple[int, int]]:
        return cdb.providers_and_roots(self.conn, include, exclude)


class SliceSource:
    """A slice of trees read whole: its providers with their inventories
    (TreeRows, flagged per group), and their traits when the request names
    any. Answers about aggregates still come from the database."""

    def __init__(self, conn: Connection, rows: list[TreeRow], flags: dict[str, int],
                 traits: list[cdb.TraitRow] | None):
        self.conn = conn
        self.rows = rows
        self.flags = flags  # group suffix -> its flag's index among the flags
        self.shape: list[cdb.ShapeRow] = []  # each provider once
        last = None
        for row in rows:
            if row[0] != last:
                last = row[0]
                self.shape.append(row[:4])
        self.ids = [row[0] for row in self.shape]  # the whole slice's scope
        self.trait_rows = traits
        self.traits: dict[int, set[int]] = {}
        for rp, trait_id, _ in traits or ():
            if rp in self.traits:
                self.traits[rp].add(trait_id)
            else:
                self.traits[rp] = {trait_id}

    def _within(self, rows: list[TreeRow], scope: Scope) -> list[TreeRow]:
        if scope is None or scope is self.ids:
            return rows
        members = set(scope)
        return [row for row in rows if row[0] in members]

    def _scope(self, scope: Scope) -> Collection[int]:
        return self.ids if scope is None else scope

    def capacity(self, suffix: str, amounts: dict[int, int], scope: Scope,
                 provider_traits: Sequence[Collection[int]] = (),
                 tree_traits: Sequence[Collection[int]] = ()) -> list[TreeRow]:
        assert not tree_traits, "a slice is filtered by tree traits beforehand"
        flag = FLAGS + self.flags[suffix]
        rows = self._within([row for row in self.rows if row[flag]], scope)
        if provider_traits:
            none: set[int] = set()
            rows = [row for row in rows
                    if all(self.traits.get(row[0], none) & set(any_of)
                           for any_of in provider_traits)]
        return rows

    def traits_in(self, trait_ids: Collection[int], scope: Scope) -> dict[int, set[int]]:
        wanted = set(trait_ids)
        found: dict[int, set[int]] = {}
        for rp in self._scope(scope):
            mine = self.traits.get(rp)
            if mine and mine & wanted:
                found[rp] = mine & wanted
        return found

    def with_all_traits(self, required: Sequence[Collection[int]], scope: Scope) -> set[int]:
        none: set[int] = set()
        return {rp for rp in self._scope(scope)
                if all(self.traits.get(rp, none) & set(any_of) for any_of in required)}

    def with_any_trait(self, trait_ids: Collection[int], scope: Scope) -> set[int]:
        return set(self.traits_in(trait_ids, scope))

    def any_with_trait(self, trait_ids: Collection[int], scope: Scope) -> bool:
        return bool(self.traits_in(trait_ids, scope))

    def in_aggregates(self, member_of: Sequence[Sequence[str]], scope: Scope) -> set[int]:
        return cdb.in_aggregates(self.conn, member_of, self._scope(scope))

    def providers_and_roots(self, include: Collection[int],
                            exclude: Collection[int]) -> list[tuple[int, int]]:
        """(provider, root) of the providers of `include` (all if empty) not
        in `exclude`, in id order, as the database would say them."""
        chosen = set(include) if include else self.ids
        return sorted((row[0], row[2]) for row in self.shape
                      if row[0] in chosen and row[0] not in exclude)
