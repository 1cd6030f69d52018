"""Allocation candidates: every way a request for resources fits.

A request is one or more groups of resources (the unsuffixed group, whose
resources may come from several providers of one tree or from providers
sharing through an aggregate, and suffixed "granular" groups, each served
by one provider), plus request-wide rules (`group_policy`, `same_subtree`,
`root_required`, `limit`). The search follows upstream Placement's
semantics step by step:

1. each group finds its candidates on its own: one provider per candidate
   (granular groups, or anywhere without trees and sharing providers), or a
   combination of providers of one tree and sharing providers, one per
   resource class, that together has the group's traits;
2. candidates of all groups anchored to the same root provider are
   combined, keeping the combinations that respect the group policy and the
   same-subtree rules and that fit the providers' capacity once summed;
3. the results are limited, and summarised per provider of the trees used.

Unlike upstream it can stop early: with a `limit` and no randomisation it
walks the trees a slice of roots at a time and stops when it has enough.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from nimbus.placement import exceptions as exc
from nimbus.placement.candidate_types import Candidate, Found, Group, Settings, Wide
from nimbus.placement.db import candidates as cdb
from nimbus.placement.db import providers, resource_classes, traits
from nimbus.placement.db.candidates import Roots

__all__ = ["Candidate", "Found", "Group", "Settings", "Wide", "find"]


@dataclass
class _Resolved:
    group: Group
    resources: dict[int, int]  # class id -> amount, in request order
    required: list[set[int]]
    forbidden: set[int]

    @property
    def suffix(self) -> str:
        return self.group.suffix


class _Search:
    def __init__(self, conn: Connection, wide: Wide, settings: Settings, nested_aware: bool):
        self.conn = conn
        self.wide = wide
        self.settings = settings
        self.has_trees = providers.has_trees(conn)
        self.exclude_nested = not nested_aware and self.has_trees
        self.anchor_roots: set[int] | None = None
        self.sharing: set[int] = set()
        # (provider, class) -> its inventory row, kept to check combinations
        self.rooms: dict[tuple[int, int], cdb.SlotRow] = {}
        self.combining = False  # more than one group
        # The roots the groups searched so far have candidates in (without
        # shared providers a candidate's anchor is its root): the others
        # cannot make a whole candidate, so later groups skip them.
        self.only_roots: set[int] | None = None
        self.root_of: dict[int, int] = {}  # provider -> its root
        self.parent_of: dict[int, int | None] = {}
        self._loaded_trees: set[int] = set()
        self._anchors: dict[int, list[int]] = {}
        self._traits: dict[int, set[int]] = {}
        self.request_traits: set[int] = set()  # every trait a group names
        self.class_names: dict[int, str] = {}

    # -- names ------------------------------------------------------------

    def resolve(self, group: Group) -> _Resolved:
        """Ids for the group's names, raising as upstream does, in its order:
        classes first; an empty `member_of` then means no result at all
        (exc.ResourceProviderNotFound) before unknown traits are reported."""
        rc_ids = resource_classes.ids(self.conn, group.resources)
        try:
            trait_ids = traits.ids(self.conn, set().union(*group.required, group.forbidden))
        except exc.TraitNotFound:
            if group.member_of and not cdb.in_aggregates(self.conn, group.member_of):
                raise exc.ResourceProviderNotFound() from None
            raise
        self.class_names.update((rc_id, name) for name, rc_id in rc_ids.items())
        self.request_traits |= set(trait_ids.values())
        return _Resolved(group, {rc_ids[n]: a for n, a in group.resources.items()},
                         [{trait_ids[t] for t in any_of} for any_of in group.required],
                         {trait_ids[t] for t in group.forbidden})

    # -- per group --------------------------------------------------------

    def _in_anchors(self, root: int) -> bool:
        return self.anchor_roots is None or root in self.anchor_roots

    def _tree(self, group: Group) -> tuple[bool, int | None]:
        """(whether the group can match at all, the root its in_tree names)."""
        if group.in_tree is None:
            return True, None
        root = cdb.root_of(self.conn, group.in_tree)
        return root is not None, root

    def _with_capacity(self, amounts: dict[int, int], tree: int | None, roots: Roots,
                       **traits: Sequence[set[int]]) -> dict[int, list[tuple[int, int]]]:
        """(provider, root) of the inventories with room, by class, every
        class of `amounts` present (empty if one has none)."""
        rows = cdb.with_capacity(self.conn, amounts, tree=tree, roots=roots,
                                 only=self.only_roots, **traits)
        by_class: dict[int, list[tuple[int, int]]] = {rc_id: [] for rc_id in amounts}
        for row in rows:
            by_class[row[0]].append((row[1], row[2]))
        self.root_of.update((row[1], row[2]) for row in rows)
        if self.combining:
            self.rooms.update(((row[1], row[0]), row) for row in rows)
        return by_class if all(by_class.values()) else {}

    def _anchors_of(self, sharing: set[int]) -> list[tuple[int, int]]:
        missing = sharing - set(self._anchors)
        if missing:
            for rp in missing:
                self._anchors[rp] = []
            for rp, root in sorted(cdb.anchors(self.conn, missing)):
                self._anchors[rp].append(root)
        return [(rp, root) for rp in sorted(sharing) for root in self._anchors[rp]]

    def _traits_of(self, rps: set[int]) -> dict[int, set[int]]:
        """The request's traits each provider has (loaded once per provider)."""
        missing = rps - self._traits.keys()
        if missing:
            found = cdb.traits_of(self.conn, missing, self.request_traits)
            for rp in missing:
                self._traits[rp] = found.get(rp, set())
        return self._traits

    def candidates(self, rg: _Resolved, roots: Roots) -> list[Candidate]:
        if not rg.group.granular and (self.sharing or self.has_trees):
            return self._spread(rg, roots)
        return self._single(rg, roots)

    def _single(self, rg: _Resolved, roots: Roots) -> list[Candidate]:
        """Candidates of one provider each."""
        group = rg.group
        filtered: set[int] | None = None  # None: not filtered yet
        if rg.required and not rg.resources:  # else the capacity query asks the traits
            filtered = cdb.with_all_traits(self.conn, rg.required, roots)
            if not filtered:
                return []
        if group.member_of:
            members = cdb.in_aggregates(self.conn, group.member_of, roots)
            filtered = members if filtered is None else filtered & members
            if not filtered:
                return []
        excluded: set[int] = set()
        for bad in ((cdb.in_aggregates(self.conn, [group.forbidden_aggs], roots)
                     if group.forbidden_aggs else set()),
                    (cdb.with_any_trait(self.conn, rg.forbidden, roots)
                     if rg.forbidden else set())):
            excluded |= bad
            if filtered is not None and bad:
                filtered -= bad
                if not filtered:
                    return []
        possible, tree = self._tree(group)
        if not possible:
            return []
        if rg.resources:
            by_class = self._with_capacity(rg.resources, tree, roots,
                                           provider_traits=rg.required)
            if not by_class:
                return []
            for able_rows in by_class.values():
                able = {rp for rp, _ in able_rows}
                filtered = able - excluded if filtered is None else filtered & able
                if not filtered:
                    return []
            assert filtered is not None
            matches = [(rp, self.root_of[rp]) for rp in sorted(filtered)]
        elif filtered is None:
            return []  # as upstream: a group with nothing to filter on matches nothing
        else:  # a resourceless group (1.36): in_tree does not apply, as upstream
            matches = cdb.providers_and_roots(self.conn, filtered, excluded)
            self.root_of.update(matches)
        resources = rg.resources.items()
        found: list[Candidate] = []
        for rp, root in matches:
            requested = tuple((rp, rc_id, amount) for rc_id, amount in resources)
            mappings = {rg.suffix: frozenset((rp,))}
            if self._in_anchors(root):
                found.append(Candidate(root, group.granular, requested, mappings))
            if rp in self.sharing:
                for _, anchor in self._anchors_of({rp}):
                    if anchor != root and self._in_anchors(anchor):
                        found.append(Candidate(anchor, group.granular, requested, mappings))
        return found

    def _spread(self, rg: _Resolved, roots: Roots) -> list[Candidate]:
        """Candidates made of providers of one tree and sharing providers."""
        group = rg.group
        if rg.required and not cdb.any_with_trait(self.conn, set().union(*rg.required), roots):
            return []
        members: set[int] = set()
        if group.member_of:
            members = cdb.in_aggregates(self.conn, group.member_of, roots)
            if not members:
                return []
        possible, tree = self._tree(group)
        if not possible:
            return []
        banned = (cdb.in_aggregates(self.conn, [group.forbidden_aggs], roots)
                  if group.forbidden_aggs else set())
        # Without shared providers a tree must have the required traits
        # somewhere: a necessary condition the database can apply.
        by_class = self._with_capacity(rg.resources, tree, roots,
                                       tree_traits=[] if self.sharing else rg.required)
        if not by_class:
            return []
        classes_in_order = sorted(rg.resources)
        # root (anchor) -> per class, in class order: its providers in the
        # tree or shared with it
        trees: dict[int, list[list[int]]] = {}
        for index, rc_id in enumerate(classes_in_order):
            slots = by_class[rc_id]
            by_root: dict[int, list[int]] = {}
            for rp, root in slots:
                if root in by_root:
                    by_root[root].append(rp)
                else:
                    by_root[root] = [rp]
            shared = self.sharing & {rp for rp, _ in slots} if self.sharing else set()
            if group.member_of:
                shared &= members
            if shared and tree is None:
                for rp, anchor in self._anchors_of(shared):
                    listed = by_root.setdefault(anchor, [])
                    if rp not in listed:
                        listed.append(rp)
            if self.anchor_roots is not None:
                by_root = {r: rps for r, rps in by_root.items() if r in self.anchor_roots}
            if group.member_of:
                by_root = {r: rps if r in members else [rp for rp in rps if rp in members]
                           for r, rps in by_root.items()}
            if banned:
                by_root = {r: [rp for rp in rps if rp not in banned]
                           for r, rps in by_root.items() if r not in banned}
            if index == 0:
                trees = {r: [rps] for r, rps in by_root.items() if rps}
            else:
                for r in list(trees):
                    rps = by_root.get(r)
                    if rps:
                        trees[r].append(rps)
                    else:
                        del trees[r]
            if not trees:
                return []
        wanted_traits = set().union(*rg.required, rg.forbidden)
        known: dict[int, set[int]] = {}
        if wanted_traits:
            # A slice holds no shared providers: its trees' traits are all there is.
            known = (cdb.traits_in(self.conn, wanted_traits, roots) if roots is not None
                     else self._traits_of({rp for lists in trees.values()
                                           for rps in lists for rp in rps}))
            if not self.sharing:
                trees = self._trees_with_traits(trees, rg, known)
        amounts = [rg.resources[rc] for rc in classes_in_order]
        suffix = rg.suffix
        found: list[Candidate] = []
        for root in sorted(trees):
            lists = trees[root]
            if self.sharing:  # providers come in id order, but shared ones were added after
                lists = [sorted(rps) for rps in lists]
            combos: Iterable[tuple[int, ...]] = (
                [tuple(rps[0] for rps in lists)] if max(map(len, lists)) == 1
                else itertools.product(*lists))
            for combo in combos:
                if wanted_traits and not self._has_traits(combo, rg, known):
                    continue
                requested = tuple(zip(combo, classes_in_order, amounts, strict=True))
                found.append(Candidate(root, False, requested, {suffix: frozenset(combo)}))
        if not self.sharing:
            return found  # each tree's own providers: no two candidates alike
        # As upstream, one of each alike (shared providers anchor to many roots).
        unique: dict[Any, Candidate] = {}
        for candidate in found:
            unique.setdefault(candidate.key, candidate)
        return list(unique.values())

    def _trees_with_traits(self, trees: dict[int, list[list[int]]], rg: _Resolved,
                           known: dict[int, set[int]]) -> dict[int, list[list[int]]]:
        """Keep the trees whose providers without forbidden traits could
        together have the required ones (upstream's coarse pre-filter; with
        no sharing providers every tree is its root's own)."""
        kept = {}
        for root, classes in trees.items():
            have: set[int] = set()
            good = False
            for rps in classes:
                for rp in rps:
                    mine = known.get(rp, set())
                    if not mine & rg.forbidden:
                        good = True
                        have |= mine
            if good and all(any_of & have for any_of in rg.required):
                kept[root] = classes
        return kept

    @staticmethod
    def _has_traits(combo: Sequence[int], rg: _Resolved, known: dict[int, set[int]]) -> bool:
        have: set[int] = set()
        for rp in combo:
            mine = known.get(rp, set())
            if mine & rg.forbidden:
                return False
            have |= mine
        return all(any_of & have for any_of in rg.required)

    # -- combining groups ------------------------------------------------

    def _fits(self, lists: list[list[Candidate]]) -> Iterator[tuple[Candidate, ...]]:
        """The product of `lists`, skipping combinations that, summed per
        provider and class, exceed a capacity or a max_unit (a partial sum
        that does can only grow, so whole branches are cut)."""
        totals: dict[tuple[int, int], int] = {}
        chosen: list[Candidate] = []

        def walk(depth: int) -> Iterator[tuple[Candidate, ...]]:
            if depth == len(lists):
                yield tuple(chosen)
                return
            for candidate in lists[depth]:
                added: list[tuple[int, int]] = []
                fits = True
                for rp, rc, amount in candidate.resources:
                    key = (rp, rc)
                    total = totals.get(key, 0) + amount
                    totals[key] = total
                    added.append(key)
                    room = cdb.room(self.rooms[key])
                    if room.used + total > room.capacity or total > room.max_unit:
                        fits = False
                        break
                if fits:
                    chosen.append(candidate)
                    yield from walk(depth + 1)
                    chosen.pop()
                for key, (_, _, amount) in zip(added, candidate.resources, strict=False):
                    totals[key] -= amount

        return walk(0)

    def _isolated(self, combo: Sequence[Candidate], granular: int) -> bool:
        providers_used: set[int] = set()
        for candidate in combo:
            if candidate.granular:
                providers_used |= next(iter(candidate.mappings.values()))
        return len(providers_used) == granular

    def _ancestry(self, rp: int) -> set[int]:
        root = self.root_of[rp]
        if root not in self._loaded_trees:
            self.parent_of.update(cdb.parents(self.conn, [root]))
            self._loaded_trees.add(root)
        line = {rp}
        parent = self.parent_of.get(rp)
        while parent is not None:
            line.add(parent)
            parent = self.parent_of.get(parent)
        return line

    def _same_subtree(self, combo: Sequence[Candidate]) -> bool:
        for suffixes in self.wide.same_subtrees:
            rps: set[int] = set()
            for candidate in combo:
                for suffix in suffixes:
                    rps |= candidate.mappings.get(suffix, frozenset())
            if len(rps) <= 1:
                continue
            common = set.intersection(*(self._ancestry(rp) for rp in rps))
            if not common & rps:
                return False
        return True

    def merge(self, by_suffix: dict[str, list[Candidate]]) -> Iterator[Candidate]:
        """Combinations, one candidate per group under one anchor, that pass
        the request-wide rules; each consolidated into one candidate."""
        if len(by_suffix) == 1:  # nothing to combine, and each slot was checked
            yield from next(iter(by_suffix.values()))
            return
        by_anchor: dict[int, dict[str, list[Candidate]]] = {}
        for suffix, found in by_suffix.items():
            for candidate in found:
                by_anchor.setdefault(candidate.anchor, {}).setdefault(suffix, []).append(candidate)
        streams = [self._fits(list(lists.values())) for lists in by_anchor.values()
                   if len(lists) == len(by_suffix)]
        combos = (itertools.chain(*streams) if self.settings.strategy == "depth-first"
                  else _roundrobin(streams))
        granular = sum(1 for suffix in by_suffix if suffix)
        isolate = self.wide.group_policy == "isolate"
        for combo in combos:
            if isolate and not self._isolated(combo, granular):
                continue
            if self.wide.same_subtrees and not self._same_subtree(combo):
                continue
            yield _consolidate(combo)

    def _nested_free(self, candidate: Candidate) -> bool:
        """At most one provider per tree (what clients before 1.29 understand)."""
        rps = candidate.providers
        return len(rps) == len({self.root_of[rp] for rp in rps})

    # -- the whole request -----------------------------------------------

    def run(self, groups: list[_Resolved]) -> list[Candidate]:
        """The candidates, before any limit."""
        limit, budget = self.wide.limit, self.settings.max_candidates
        # Stop once `limit` are found, unless a random sample of all of them
        # is wanted, or the nested filter below needs to see them all.
        target = limit if limit and not self.settings.randomize and not self.exclude_nested else None
        enough = min(n for n in (target, budget if budget >= 0 else None, 1 << 62) if n is not None)
        sliced = (enough < 1 << 62 and not self.sharing
                  and (budget < 0 or self.settings.strategy == "depth-first"))
        # Candidates alike can come from several anchors (shared providers) or
        # several combinations; otherwise each is new and needs no key.
        alike = bool(self.sharing) or len(groups) > 1
        seen: set[Any] = set()
        merged = 0  # counted before the nested filter, as upstream's bound is
        found: list[Candidate] = []
        # Granular groups first: usually the narrower, they bound where the
        # others need to look. Combined in request order all the same.
        order = sorted(groups, key=lambda rg: not rg.group.granular)
        for roots in (self._slices(enough) if sliced else [None]):
            by_suffix: dict[str, list[Candidate]] = {}
            self.only_roots = None
            for rg in order:
                by_suffix[rg.suffix] = self.candidates(rg, roots)
                if not by_suffix[rg.suffix]:
                    break
                if not self.sharing and len(groups) > 1:
                    anchors = {c.anchor for c in by_suffix[rg.suffix]}
                    self.only_roots = (anchors if self.only_roots is None
                                       else self.only_roots & anchors)
            else:
                by_suffix = {rg.suffix: by_suffix[rg.suffix] for rg in groups}
                for candidate in self.merge(by_suffix):
                    if alike:
                        if candidate.key in seen:
                            continue
                        seen.add(candidate.key)
                    merged += 1
                    if not self.exclude_nested or self._nested_free(candidate):
                        found.append(candidate)
                    if merged >= budget >= 0 or target is not None and len(found) >= target:
                        break
            if merged >= budget >= 0 or target is not None and len(found) >= target:
                break
        self.only_roots = None
        return found

    def _slices(self, enough: int) -> Iterator[Roots]:
        """Ranges of root ids, growing, from the first root to the last."""
        after, count = 0, enough + enough // 8 + 16
        while True:
            last = cdb.root_after(self.conn, after, count)
            if last is None:
                yield after + 1, None
                return
            yield after + 1, last
            after, count = last, count * 4


def _consolidate(combo: Sequence[Candidate]) -> Candidate:
    amounts: dict[tuple[int, int], int] = {}
    mappings: dict[str, set[int]] = {}
    for candidate in combo:
        for rp, rc, amount in candidate.resources:
            amounts[(rp, rc)] = amounts.get((rp, rc), 0) + amount
        for suffix, rps in candidate.mappings.items():
            mappings.setdefault(suffix, set()).update(rps)
    return Candidate(combo[0].anchor, False,
                     tuple((rp, rc, amount) for (rp, rc), amount in amounts.items()),
                     {suffix: frozenset(rps) for suffix, rps in mappings.items()})


def _roundrobin(streams: list[Iterator[tuple[Candidate, ...]]]) -> Iterator[tuple[Candidate, ...]]:
    """One item from each stream in turn until all are exhausted."""
    active = list(streams)
    while active:
        still = []
        for stream in active:
            item = next(stream, None)
            if item is not None:
                yield item
                still.append(stream)
        active = still


def find(conn: Connection, groups: list[Group], wide: Wide, settings: Settings,
         nested_aware: bool) -> Found:
    """The allocation candidates of a request, in upstream's semantics.

    :raises ResourceClassNotFound, TraitNotFound: a name in the request is
        unknown (reported in the order upstream finds them).
    """
    search = _Search(conn, wide, settings, nested_aware)
    nothing = Found([], {}, {})
    if wide.root_required or wide.root_forbidden:
        ids = traits.ids(conn, wide.root_required | wide.root_forbidden)
        search.anchor_roots = cdb.roots_with_traits(
            conn, {ids[t] for t in wide.root_required}, {ids[t] for t in wide.root_forbidden})
        if not search.anchor_roots:
            return nothing
    search.sharing = cdb.sharing_providers(conn)
    resolved: list[_Resolved] = []
    for group in groups:
        try:
            resolved.append(search.resolve(group))
        except exc.ResourceProviderNotFound:
            return nothing
        except (exc.ResourceClassNotFound, exc.TraitNotFound):
            # Upstream searches group by group: an earlier group without
            # candidates ends the request before this name is looked at.
            if any(not search.candidates(rg, None) for rg in resolved):
                return nothing
            raise
    search.combining = len(resolved) > 1
    results = search.run(resolved)
    if not results:
        return nothing
    if search.exclude_nested:  # the providers in any candidate, before the limit
        everyone = {rp for candidate in results for rp, _, _ in candidate.resources}
    limit = wide.limit
    if limit and limit < len(results):
        results = (random.sample(results, limit) if settings.randomize else results[:limit])
    elif settings.randomize:
        random.shuffle(results)
    roots = {search.root_of[rp] for candidate in results for rp, _, _ in candidate.resources}
    summarised = cdb.trees(conn, roots)
    if search.exclude_nested:
        summarised = {rp: p for rp, p in summarised.items() if rp in everyone}
    return Found(results, summarised, search.class_names)
