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
   same-subtree rules and that fit the providers' capacity once summed
   (candidate_merge.py);
3. the results are limited, and summarised per provider of the trees used.

Unlike upstream it can stop early: with a `limit` and no randomisation it
walks the trees a slice at a time (fetching the providers of the slice's
trees first, then asking every question about those providers only) and
stops when it has enough.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from nimbus.placement import exceptions as exc
from nimbus.placement.candidate_merge import Merger
from nimbus.placement.candidate_sources import DbSource, SliceSource, Source
from nimbus.placement.candidate_types import (
    Candidate,
    Found,
    Group,
    Resolved,
    Settings,
    Wide,
)
from nimbus.placement.db import candidates as cdb
from nimbus.placement.db.candidates import Scope

__all__ = ["Candidate", "Found", "Group", "Settings", "Wide", "find"]



def _class_ids(known: dict[str, int], names: Iterable[str]) -> dict[str, int]:
    """Ids of resource class names; ResourceClassNotFound names the first unknown."""
    wanted = sorted(set(names))
    for name in wanted:
        if name not in known:
            raise exc.ResourceClassNotFound(name=name)
    return {name: known[name] for name in wanted}


def _trait_ids(known: dict[str, int], names: Iterable[str]) -> dict[str, int]:
    """Ids of trait names; TraitNotFound lists every unknown one."""
    wanted = sorted(set(names))
    missing = [name for name in wanted if name not in known]
    if missing:
        raise exc.TraitNotFound(name=", ".join(missing))
    return {name: known[name] for name in wanted}


class _Search(Merger):
    def __init__(self, conn: Connection, wide: Wide, settings: Settings, nested_aware: bool,
                 names: cdb.Lookup):
        super().__init__(conn, wide, settings)
        self.names = names
        self.has_trees = names.has_trees
        self.exclude_nested = not nested_aware and self.has_trees
        self.sharing: set[int] = names.sharing
        # The roots the groups searched so far have candidates in (without
        # shared providers a candidate's anchor is its root): the others
        # cannot make a whole candidate, so later groups skip them.
        self.only_roots: set[int] | None = None
        self._anchors: dict[int, list[int]] = {}
        self._traits: dict[int, set[int]] = {}
        self.class_names: dict[int, str] = {}
        self.source: Source = DbSource(conn)
        self.with_traits = True  # whether the summaries show traits

    # -- names ------------------------------------------------------------

    def resolve(self, group: Group) -> Resolved:
        """Ids for the group's names, raising as upstream does, in its order:
        classes first; an empty `member_of` then means no result at all
        (exc.ResourceProviderNotFound) before unknown traits are reported."""
        rc_ids = _class_ids(self.names.class_ids, group.resources)
        try:
            trait_ids = _trait_ids(self.names.trait_ids,
                                   set().union(*group.required, group.forbidden))
        except exc.TraitNotFound:
            if group.member_of and not cdb.in_aggregates(self.conn, group.member_of):
                raise exc.ResourceProviderNotFound() from None
            raise
        self.class_names.update((rc_id, name) for name, rc_id in rc_ids.items())
        self.request_traits |= set(trait_ids.values())
        return Resolved(group, {rc_ids[n]: a for n, a in group.resources.items()},
                        [{trait_ids[t] for t in any_of} for any_of in group.required],
                        {trait_ids[t] for t in group.forbidden})

    # -- per group --------------------------------------------------------

    def _in_anchors(self, root: int) -> bool:
        return self.anchor_roots is None or root in self.anchor_roots

    def _tree(self, group: Group) -> tuple[bool, int | None]:
        """(whether the group can match at all, the root its in_tree names)."""
        if group.in_tree is None:
            return True, None
        root = self.names.roots_by_uuid.get(group.in_tree)
        return root is not None, root

    def _restricted(self, scope: Scope, tree: int | None) -> Scope:
        """The providers a capacity query looks at: those of `scope` in the
        trees earlier groups left (and in `tree`, when given)."""
        roots = self.only_roots
        if tree is not None:
            roots = {tree} if roots is None else roots & {tree}
        if roots is None:
            return scope
        if scope is None:
            return [row[0] for row in self.tree_rows(roots)]
        root_of = self.root_of
        return [rp for rp in scope if root_of[rp] in roots]

    def _with_capacity(self, rg: Resolved, scope: Scope,
                       provider_traits: Sequence[set[int]] = (),
                       tree_traits: Sequence[set[int]] = ()
                       ) -> dict[int, list[cdb.TreeRow]]:
        """The inventories with room for the group, by class, every class of
        the group present (empty if one has none)."""
        rows = self.source.capacity(rg.suffix, rg.resources, scope,
                                    provider_traits=provider_traits, tree_traits=tree_traits)
        by_class: dict[int, list[cdb.TreeRow]] = {rc_id: [] for rc_id in rg.resources}
        root_of = self.root_of
        for row in rows:
            root_of[row[0]] = row[2]
            by_class[row[4]].append(row)
        if self.combining:
            self.rooms.update(((row[0], row[4]), row) for row in rows)
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
            found = self.source.traits_in(self.request_traits, missing)
            for rp in missing:
                self._traits[rp] = found.get(rp, set())
        return self._traits

    def candidates(self, rg: Resolved, scope: Scope) -> list[Candidate]:
        if not rg.group.granular and (self.sharing or self.has_trees):
            return self._spread(rg, scope)
        return self._single(rg, scope)

    def _filters(self, rg: Resolved, scope: Scope) -> tuple[set[int] | None, set[int]] | None:
        """What a one-provider group's traits and aggregates allow: the
        providers it may use (None: any) and those it may not; None when
        nothing can match."""
        group = rg.group
        filtered: set[int] | None = None  # None: not filtered yet
        if rg.required and not rg.resources:  # else the capacity query asks the traits
            filtered = self.source.with_all_traits(rg.required, scope)
            if not filtered:
                return None
        if group.member_of:
            members = self.source.in_aggregates(group.member_of, scope)
            filtered = members if filtered is None else filtered & members
            if not filtered:
                return None
        excluded: set[int] = set()
        for bad in ((self.source.in_aggregates([group.forbidden_aggs], scope)
                     if group.forbidden_aggs else set()),
                    (self.source.with_any_trait(rg.forbidden, scope)
                     if rg.forbidden else set())):
            excluded |= bad
            if filtered is not None and bad:
                filtered -= bad
                if not filtered:
                    return None
        return filtered, excluded

    def _single(self, rg: Resolved, scope: Scope) -> list[Candidate]:
        """Candidates of one provider each."""
        group = rg.group
        allowed = self._filters(rg, scope)
        if allowed is None:
            return []
        filtered, excluded = allowed
        possible, tree = self._tree(group)
        if not possible:
            return []
        if rg.resources:
            by_class = self._with_capacity(rg, self._restricted(scope, tree),
                                           provider_traits=rg.required)
            if not by_class:
                return []
            for able_rows in by_class.values():
                able = {row[0] for row in able_rows}
                filtered = able - excluded if filtered is None else filtered & able
                if not filtered:
                    return []
            assert filtered is not None
            matches = [(rp, self.root_of[rp]) for rp in sorted(filtered)]
        elif filtered is None:
            return []  # as upstream: a group with nothing to filter on matches nothing
        else:  # a resourceless group (1.36): in_tree does not apply, as upstream
            matches = self.source.providers_and_roots(filtered, excluded)
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

    def _spread(self, rg: Resolved, scope: Scope) -> list[Candidate]:
        """Candidates made of providers of one tree and sharing providers."""
        group = rg.group
        wanted_traits = set().union(*rg.required, rg.forbidden)
        # A slice has no shared providers: its trees' traits are all there is.
        known = (self.source.traits_in(wanted_traits, scope)
                 if scope is not None and wanted_traits else None)
        if rg.required:
            required = set().union(*rg.required)
            if known is not None:
                if not any(mine & required for mine in known.values()):
                    return []
            elif not self.source.any_with_trait(required, scope):
                return []
        members: set[int] = set()
        if group.member_of:
            members = self.source.in_aggregates(group.member_of, scope)
            if not members:
                return []
        possible, tree = self._tree(group)
        if not possible:
            return []
        banned = (self.source.in_aggregates([group.forbidden_aggs], scope)
                  if group.forbidden_aggs else set())
        limited = self._restricted(scope, tree)
        # Without shared providers a tree must have the required traits
        # somewhere: a necessary condition, applied before asking for room.
        if rg.required and not self.sharing and limited is not None:
            if known is None:
                known = self.source.traits_in(wanted_traits, limited)
            limited = self._with_tree_traits(limited, rg.required, known)
            by_class = self._with_capacity(rg, limited)
        else:
            by_class = self._with_capacity(rg, limited,
                                           tree_traits=[] if self.sharing else rg.required)
        if not by_class:
            return []
        trees = self._trees(rg, by_class, tree, members, banned)
        if not trees:
            return []
        if wanted_traits:
            if known is None:
                known = self._traits_of({rp for lists in trees.values()
                                         for rps in lists for rp in rps})
            if not self.sharing:
                trees = _trees_with_traits(trees, rg, known)
        return self._combinations(rg, trees, known if wanted_traits else None)

    def _with_tree_traits(self, scope: Collection[int], required: list[set[int]],
                          known: dict[int, set[int]]) -> list[int]:
        """The providers of `scope` in trees having a trait of each set of
        `required` somewhere (`known`: the traits of the scope's providers)."""
        roots: set[int] | None = None
        for any_of in required:
            having = {self.root_of[rp] for rp, mine in known.items() if mine & any_of}
            roots = having if roots is None else roots & having
        assert roots is not None
        return [rp for rp in scope if self.root_of[rp] in roots]

    def _trees(self, rg: Resolved, by_class: dict[int, list[cdb.TreeRow]],
               tree: int | None, members: set[int], banned: set[int]
               ) -> dict[int, list[list[int]]]:
        """Root (anchor) -> per class, in class order: its providers in the
        tree or shared with it, for the trees having every class."""
        group = rg.group
        trees: dict[int, list[list[int]]] = {}
        for index, rc_id in enumerate(sorted(rg.resources)):
            slots = by_class[rc_id]
            by_root: dict[int, list[int]] = {}
            for row in slots:
                if row[2] in by_root:
                    by_root[row[2]].append(row[0])
                else:
                    by_root[row[2]] = [row[0]]
            shared = self.sharing & {row[0] for row in slots} if self.sharing else set()
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
                return {}
        return trees

    def _combinations(self, rg: Resolved, trees: dict[int, list[list[int]]],
                      known: dict[int, set[int]] | None) -> list[Candidate]:
        """A candidate per combination of one provider per class in each tree
        (with the group's traits, when it names some)."""
        classes_in_order = sorted(rg.resources)
        amounts = [rg.resources[rc] for rc in classes_in_order]
        suffix = rg.suffix
        found: list[Candidate] = []
        for root in sorted(trees):
            lists = trees[root]
            if self.sharing:  # providers come in id order, but shared ones were added after
                lists = [sorted(rps) for rps in lists]
            combos: Iterable[tuple[int, ...]] = (
                [tuple([rps[0] for rps in lists])] if max(map(len, lists)) == 1
                else itertools.product(*lists))
            for combo in combos:
                if known is not None and not _has_traits(combo, rg, known):
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

    def _nested_free(self, candidate: Candidate) -> bool:
        """At most one provider per tree (what clients before 1.29 understand)."""
        rps = candidate.providers
        return len(rps) == len({self.root_of[rp] for rp in rps})

    # -- the whole request -----------------------------------------------

    def run(self, groups: list[Resolved]) -> list[Candidate]:
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
        sources: Iterable[Source] = (
            self.read_slices(enough, groups, self.driver(order, self.names.class_ids),
                             bool(self.request_traits) or self.with_traits)
            if sliced else [self.source])
        for source in sources:
            self.source = source
            scope = source.ids if isinstance(source, SliceSource) else None
            by_suffix: dict[str, list[Candidate]] = {}
            self.only_roots = None
            for rg in order:
                by_suffix[rg.suffix] = self.candidates(rg, scope)
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
            self.found_so_far = len(found)
        self.only_roots = None
        self.source = DbSource(self.conn)
        return found


def _trees_with_traits(trees: dict[int, list[list[int]]], rg: Resolved,
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


def _has_traits(combo: Iterable[int], rg: Resolved, known: dict[int, set[int]]) -> bool:
    have: set[int] = set()
    for rp in combo:
        mine = known.get(rp, set())
        if mine & rg.forbidden:
            return False
        have |= mine
    return all(any_of & have for any_of in rg.required)


def _names(groups: list[Group], wide: Wide) -> tuple[set[str], set[str]]:
    """The traits and in_tree uuids a request names."""
    trait_names = set(wide.root_required | wide.root_forbidden)
    for group in groups:
        trait_names |= set().union(*group.required, group.forbidden)
    return trait_names, {g.in_tree for g in groups if g.in_tree is not None}


def find(conn: Connection, groups: list[Group], wide: Wide, settings: Settings,
         nested_aware: bool, with_traits: bool = True) -> Found:
    """The allocation candidates of a request, in upstream's semantics, and
    the providers to summarise (with their traits when `with_traits`).

    :raises ResourceClassNotFound, TraitNotFound: a name in the request is
        unknown (reported in the order upstream finds them).
    """
    names = cdb.lookup(conn, *_names(groups, wide))
    search = _Search(conn, wide, settings, nested_aware, names)
    search.with_traits = with_traits
    class_names = {rc_id: name for name, rc_id in names.class_ids.items()}
    nothing = Found([], [], [], class_names)
    if wide.root_required or wide.root_forbidden:
        ids = _trait_ids(names.trait_ids, wide.root_required | wide.root_forbidden)
        search.anchor_roots = cdb.roots_with_traits(
            conn, {ids[t] for t in wide.root_required}, {ids[t] for t in wide.root_forbidden})
        if not search.anchor_roots:
            return nothing
    resolved: list[Resolved] = []
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
    rows, traits = search.summary({search.root_of[rp] for candidate in results
                                   for rp, _, _ in candidate.resources}, with_traits)
    if search.exclude_nested:
        rows = [row for row in rows if row[0] in everyone]
        traits = [row for row in traits if row[0] in everyone]
    return Found(results, rows, traits, class_names)
