"""Combining the candidates of several request groups into one: one per
group under the same anchor, within the providers' capacity once summed,
under the group policy and the same-subtree rules."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from sqlalchemy.engine import Connection

from nimbus.placement.candidate_trees import Trees
from nimbus.placement.candidate_types import Candidate, Settings, Wide
from nimbus.placement.db import candidates as cdb


class Merger(Trees):
    """The combining of groups' candidates."""

    def __init__(self, conn: Connection, wide: Wide, settings: Settings):
        super().__init__(conn)
        self.wide = wide
        self.settings = settings
        # (provider, class) -> its inventory row, kept to check combinations
        self.rooms: dict[tuple[int, int], cdb.TreeRow] = {}
        self.combining = False  # more than one group

    # -- combining -------------------------------------------------------

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

    def _same_subtree(self, combo: Sequence[Candidate]) -> bool:
        for suffixes in self.wide.same_subtrees:
            rps: set[int] = set()
            for candidate in combo:
                for suffix in suffixes:
                    rps |= candidate.mappings.get(suffix, frozenset())
            if len(rps) <= 1:
                continue
            common = set.intersection(*(self.ancestry(rp) for rp in rps))
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
            if isolate and not _isolated(combo, granular):
                continue
            if self.wide.same_subtrees and not self._same_subtree(combo):
                continue
            yield _consolidate(combo)


def _isolated(combo: Sequence[Candidate], granular: int) -> bool:
    providers_used: set[int] = set()
    for candidate in combo:
        if candidate.granular:
            providers_used |= next(iter(candidate.mappings.values()))
    return len(providers_used) == granular


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
