"""GET /allocation_candidates (1.10-): where a request for resources fits."""

from __future__ import annotations

import re
from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request
from nimbus.placement import candidates
from nimbus.placement import errors as codes
from nimbus.placement import exceptions as exc
from nimbus.placement.api import params
from nimbus.placement.api.schemas import candidates as schema
from nimbus.placement.api.schemas.common import GROUP_PATTERN, GROUP_PATTERN_1_33
from nimbus.placement.api.util import (
    bad_request,
    handler,
    json_reply,
    placement,
    validate_query,
    want,
)

_KEYS = "resources|required|member_of|in_tree"
_KEY = re.compile(rf"^({_KEYS})({GROUP_PATTERN})?$")
_KEY_1_33 = re.compile(rf"^({_KEYS})({GROUP_PATTERN_1_33})?$")


def _groups(req: Request) -> dict[str, candidates.Group]:
    """The request groups by suffix, in the order the query names them."""
    pattern = _KEY_1_33 if want(req, "1.33") else _KEY
    groups: dict[str, candidates.Group] = {}
    for key, value in req.query.multi_items():
        match = pattern.match(key)
        if not match:
            continue
        prefix, suffix = match.group(1), match.group(2) or ""
        group = groups.setdefault(suffix, candidates.Group(suffix))
        if prefix == "resources":
            group.resources = params.resources(value)
        elif prefix == "required":
            group.required, group.forbidden = params.required(req, suffix)
        elif prefix == "member_of":
            group.member_of, group.forbidden_aggs = params.member_of(req, suffix)
        else:
            group.in_tree = params.in_tree(value)
    return groups


def _wide(req: Request) -> candidates.Wide:
    wide = candidates.Wide()
    limits = req.query.getlist("limit")
    if limits:
        wide.limit = int(limits[0])
    policies = req.query.getlist("group_policy")
    if policies:
        wide.group_policy = policies[0]
    roots = req.query.getlist("root_required")
    if len(roots) > 1:
        raise bad_request("Query parameter 'root_required' may be specified only once.",
                          codes.ILLEGAL_DUPLICATE_QUERYPARAM)
    if roots:
        wide.root_required, wide.root_forbidden = params.root_required(roots[0])
    for value in req.query.getlist("same_subtree"):
        suffixes = {part.strip() for part in value.split(",")}
        if "" in suffixes:
            raise bad_request("Empty string (unsuffixed group) can not be specified in "
                              "`same_subtree` ", codes.QUERYPARAM_BAD_VALUE)
        wide.same_subtrees.append(suffixes)
    return wide


def _check_subtrees(groups: dict[str, candidates.Group], wide: candidates.Wide) -> None:
    """1.36-: resourceless groups are fine when same_subtree names them."""
    resourceless = [s for s, group in groups.items() if not group.resources]
    if len(resourceless) == len(groups):
        raise bad_request("There must be at least one resources or resources[$S] parameter.",
                          codes.QUERYPARAM_MISSING_VALUE)
    named = set().union(*wide.same_subtrees)
    loose = [s for s in resourceless if s not in named]
    if loose:
        raise bad_request("Resourceless suffixed group request should be specified in "
                          f"`same_subtree` query param: bad group(s) - {loose}.",
                          codes.QUERYPARAM_BAD_VALUE)
    unknown = [s for s in named if s not in groups]
    if unknown:
        raise bad_request(f"Real suffixes should be specified in `same_subtree`: {unknown} "
                          f"not found in {list(groups)}.", codes.QUERYPARAM_BAD_VALUE)


def _check_orphans(groups: dict[str, candidates.Group]) -> None:
    """Before 1.36 every group must ask for resources."""
    orphans = [f"required{s}" for s, g in groups.items() if g.required and not g.resources]
    if orphans:
        raise bad_request("All traits parameters must be associated with resources.  Found "
                          f"the following orphaned traits keys: {', '.join(orphans)}")
    orphans = [f"member_of{s}" for s, g in groups.items()
               if not g.resources and (g.member_of or g.forbidden_aggs)]
    if orphans:
        raise bad_request("All member_of parameters must be associated with resources. Found "
                          f"the following orphaned member_of keys: {', '.join(orphans)}")
    if not all(g.resources for g in groups.values()):
        raise bad_request("All request groups must specify resources.")
    if not groups:
        raise bad_request("At least one request group (`resources` or `resources{$S}`) "
                          "is required.")


def _check_conflicts(groups: dict[str, candidates.Group]) -> None:
    conflicts = sorted(f"required{s}: ({', '.join(sorted(any_of))})"
                       for s, g in groups.items() for any_of in g.required
                       if all(t in g.forbidden for t in any_of))
    if conflicts:
        raise bad_request("Conflicting required and forbidden traits found in the following "
                          f"traits keys: {', '.join(conflicts)}")


def _render_requests(req: Request, found: candidates.Found,
                     uuids: dict[int, str]) -> list[dict[str, Any]]:
    names = found.class_names
    as_dict, with_mappings = want(req, "1.12"), want(req, "1.34")
    # One dict per distinct (class, amount) list: many candidates ask alike,
    # and the JSON of a shared dict is the same as of copies.
    shared: dict[tuple[tuple[int, int], ...], dict[str, int]] = {}
    out: list[dict[str, Any]] = []
    for candidate in found.requests:
        by_provider: dict[int, list[tuple[int, int]]] = {}
        for rp, rc, amount in candidate.resources:
            if rp in by_provider:
                by_provider[rp].append((rc, amount))
            else:
                by_provider[rp] = [(rc, amount)]
        allocations: dict[str, dict[str, int]] = {}
        for rp, pairs in by_provider.items():
            key = tuple(pairs)
            resources = shared.get(key)
            if resources is None:
                resources = shared[key] = {names[rc]: amount for rc, amount in pairs}
            allocations[uuids[rp]] = resources
        if not as_dict:
            out.append({"allocations": [{"resource_provider": {"uuid": uuid}, "resources": res}
                                        for uuid, res in allocations.items()]})
            continue
        request: dict[str, Any] = {"allocations": {uuid: {"resources": res}
                                                   for uuid, res in allocations.items()}}
        if with_mappings:
            request["mappings"] = {suffix: sorted([uuids[rp] for rp in rps])
                                   for suffix, rps in candidate.mappings.items()}
        out.append(request)
    return out


def _render_summaries(req: Request, found: candidates.Found, uuids: dict[int, str],
                      requested: set[str]) -> dict[str, Any]:
    """Straight from the rows (each provider's come together): a summary
    per provider, with its inventories, then the traits added in."""
    every_class, with_traits, nested = want(req, "1.27"), want(req, "1.17"), want(req, "1.29")
    names = found.class_names
    summaries: dict[str, Any] = {}
    by_id: dict[int, dict[str, Any]] = {}
    resources: dict[str, Any] = {}
    last = None
    for row in found.providers:
        rp_id = row[0]
        if rp_id != last:
            last = rp_id
            resources = {}
            summary: dict[str, Any] = {"resources": resources}
            if with_traits:
                summary["traits"] = []
            if nested:
                summary["parent_provider_uuid"] = uuids.get(row[1]) if row[1] else None
                summary["root_provider_uuid"] = uuids.get(row[2])
            summaries[row[3]] = by_id[rp_id] = summary
        if row[4] is not None:
            name = names[row[4]]
            if every_class or name in requested:
                resources[name] = {"capacity": int((row[5] - row[6]) * row[7]), "used": row[8]}
    for rp_id, _, name in found.traits:
        by_id[rp_id]["traits"].append(name)
    return summaries


@handler("1.10", accept=True)
def list_allocation_candidates(req: Request) -> Response:
    """GET /allocation_candidates -> 200 {allocation_requests, provider_summaries}."""
    req.context.can("placement:allocation_candidates:list")
    validate_query(req, next(s for version, s in schema.BY_VERSION if want(req, version)))
    wide = _wide(req)
    groups = _groups(req)
    if want(req, "1.36"):
        _check_subtrees(groups, wide)
    else:
        _check_orphans(groups)
    if want(req, "1.22"):
        _check_conflicts(groups)
    if not wide.group_policy and sum(1 for g in groups.values() if g.granular) > 1:
        raise bad_request('The "group_policy" parameter is required when specifying more '
                          'than one "resources{N}" parameter.')
    service = placement(req)
    with service.reader() as conn:
        try:
            found = candidates.find(conn, list(groups.values()), wide, service.candidates,
                                    nested_aware=want(req, "1.29"),
                                    with_traits=want(req, "1.17"))
        except exc.ResourceClassNotFound as error:
            raise bad_request(f"Invalid resource class in resources parameter: {error}") from None
        except exc.TraitNotFound as error:
            raise bad_request(str(error)) from None
    requested = {name for g in groups.values() for name in g.resources}
    uuids = {row[0]: row[3] for row in found.providers}
    return json_reply(req, {
        "allocation_requests": _render_requests(req, found, uuids),
        "provider_summaries": _render_summaries(req, found, uuids, requested),
    })
