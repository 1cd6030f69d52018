"""What a candidates search knows of the provider trees: each tree it has
seen whole (providers, roots, parents), reading the trees a slice at a time
when the search has a limit, and the summary of the trees its answer uses."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator

from sqlalchemy.engine import Connection

from nimbus.placement.candidate_sources import SliceSource
from nimbus.placement.candidate_types import Resolved
from nimbus.placement.db import candidates as cdb

# Classes every compute node has: no use in choosing the trees to look at.
_COMMON_CLASSES = ("VCPU", "MEMORY_MB", "DISK_GB")


class Trees:
    """The trees seen so far."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.root_of: dict[int, int] = {}  # provider -> its root
        self.parent_of: dict[int, int | None] = {}
        self.members: dict[int, list[cdb.ShapeRow]] = {}  # root -> its providers, trees seen whole
        self.slices: list[SliceSource] = []  # those read so far
        self.anchor_roots: set[int] | None = None  # the only roots root_required allows
        self.request_traits: set[int] = set()  # every trait a group names
        self.found_so_far = 0  # how many candidates the slices gave, to size the next

    def learn(self, rows: list[cdb.ShapeRow]) -> None:
        """Remember whole trees: their providers, roots and parents."""
        root_of, parent_of, members = self.root_of, self.parent_of, self.members
        for row in rows:
            rp, parent, root = row[0], row[1], row[2]
            root_of[rp] = root
            parent_of[rp] = parent
            if root in members:
                members[root].append(row)
            else:
                members[root] = [row]

    def tree_rows(self, roots: Collection[int]) -> list[cdb.ShapeRow]:
        """The providers of the trees of `roots` (fetching those not seen whole)."""
        missing = [root for root in roots if root not in self.members]
        if missing:
            self.learn(cdb.trees_of(self.conn, missing))
            for root in missing:
                self.members.setdefault(root, [])  # a root gone since: nothing
        return [row for root in roots for row in self.members[root]]

    def ancestry(self, rp: int) -> set[int]:
        """The provider and every provider above it."""
        self.tree_rows([self.root_of[rp]])
        line = {rp}
        parent = self.parent_of.get(rp)
        while parent is not None:
            line.add(parent)
            parent = self.parent_of.get(parent)
        return line

    # -- in slices ------------------------------------------------------------

    def driver(self, groups: list[Resolved], class_ids: dict[str, int]) -> cdb.Having | None:
        """Which trees can hold a candidate at all, if something says it
        cheaply (without shared providers): every candidate's tree has a
        provider with a trait of each set a group requires, and one with
        room for each class a group asks for. The first required set is
        used, else the first class that not every compute node has."""
        for rg in groups:
            if rg.required:
                return cdb.Having(0, 0, trait_ids=frozenset(rg.required[0]))
        common = {class_ids.get(name) for name in _COMMON_CLASSES}
        for rg in groups:
            for rc_id, amount in rg.resources.items():
                if rc_id not in common:
                    return cdb.Having(0, 0, room=(rc_id, amount))
        return None

    def read_slices(self, enough: int, groups: list[Resolved], driver: cdb.Having | None,
                    with_traits: bool) -> Iterator[SliceSource]:
        """The trees, a slice at a time in root order, each read whole (with
        a capacity flag per group, and traits `with_traits`) and sized from
        what the earlier ones gave: only the trees of the anchors, when
        root_required named them, or those the `driver` says can hold a
        candidate."""
        anchors = sorted(self.anchor_roots) if self.anchor_roots is not None else None
        flags = {rg.suffix: index for index, rg in enumerate(groups)}
        amounts = [rg.resources for rg in groups]
        after, count, looked_at, position = 0, enough + enough // 8 + 16, 0, 0
        while True:
            trees: cdb.Trees
            if anchors is not None:
                count = min(count, cdb.CHUNK)
                trees = anchors[position:position + count]
                position += len(trees)
            elif driver is not None:
                trees = dataclasses.replace(driver, after=after, count=count)
            else:
                trees = cdb.Walk(after, count)
            rows, traits = cdb.tree_rows(self.conn, trees, amounts, with_traits)
            roots = sorted({row[2] for row in rows})
            if rows:
                source = SliceSource(self.conn, rows, flags, traits if with_traits else None)
                self.learn(source.shape)
                self.slices.append(source)
                yield source
            if position >= len(anchors) if anchors is not None else len(roots) < count:
                return
            after, looked_at = max(roots, default=after), looked_at + len(roots)
            count = _next_count(count, looked_at, self.found_so_far, enough)


    # -- the answer -----------------------------------------------------------

    def summary(self, roots: set[int], with_traits: bool
                ) -> tuple[list[cdb.TreeRow], list[cdb.TraitRow]]:
        """Every provider of the trees of `roots` with its inventories (as
        TreeRows, in provider order) and its traits (when `with_traits`):
        a search in slices has read them already."""
        if self.slices:
            rows = [row for source in self.slices for row in source.rows if row[2] in roots]
            if len(self.slices) > 1:
                rows.sort(key=_first)  # stable: each provider's inventories stay together
            if not with_traits:
                return rows, []
            if all(source.trait_rows is not None for source in self.slices):
                return rows, [row for source in self.slices for row in source.trait_rows or ()
                              if self.root_of[row[0]] in roots]
            return rows, self._trait_rows(roots)
        rows = []
        ordered = sorted(roots)
        for start in range(0, len(ordered), cdb.CHUNK):
            rows.extend(cdb.tree_rows(self.conn, ordered[start:start + cdb.CHUNK])[0])
        rows.sort(key=_first)
        self.root_of.update((row[0], row[2]) for row in rows)
        return rows, self._trait_rows(roots) if with_traits else []

    def _trait_rows(self, roots: set[int]) -> list[cdb.TraitRow]:
        """The traits of the providers of the trees of `roots`: asked by root
        id range when the ids are dense (as a slice's are), else by id."""
        low, high = min(roots), max(roots)
        if high - low >= 2 * len(roots) + 64:
            return cdb.trait_rows(self.conn, roots)
        return [row for row in cdb.trait_rows(self.conn, (low, high))
                if self.root_of.get(row[0]) in roots]

def _next_count(count: int, looked_at: int, found: int, enough: int) -> int:
    """How many trees the next slice takes: as many as should give what is
    missing at the rate seen so far (and a quarter more), at least twice
    the last slice, at most sixteen times."""
    if not found:
        return count * 4
    wanted = int((enough - found) * looked_at / found * 1.25) + 16
    return min(max(wanted, count * 2), count * 16)


def _first(row: cdb.TreeRow) -> int:
    return int(row[0])
