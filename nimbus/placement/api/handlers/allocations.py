"""/allocations/{consumer_uuid}, POST /allocations, /resource_providers/{uuid}/allocations."""

from __future__ import annotations

import logging
import uuid as uuidlib
from collections.abc import Callable, Sequence
from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.placement import errors as codes
from nimbus.placement import exceptions as exc
from nimbus.placement.api.schemas import allocations as schema
from nimbus.placement.api.util import (
    bad_request,
    empty,
    extract_json,
    handler,
    json_reply,
    newest,
    placement,
    require_content,
    want,
)
from nimbus.placement.db import allocations, consumers, providers
from nimbus.placement.db.allocations import UNSET, ConsumerRequest

LOG = logging.getLogger(__name__)


def _put_schema(req: Request) -> dict[str, Any]:
    for version, candidate in (("1.38", schema.PUT_V1_38), ("1.34", schema.PUT_V1_34),
                               ("1.28", schema.PUT_V1_28), ("1.12", schema.PUT_V1_12),
                               ("1.8", schema.PUT_V1_8)):
        if want(req, version):
            return candidate
    return schema.PUT_V1_0


def _post_schema(req: Request) -> dict[str, Any]:
    for version, candidate in (("1.38", schema.POST_V1_38), ("1.34", schema.POST_V1_34),
                               ("1.28", schema.POST_V1_28)):
        if want(req, version):
            return candidate
    return schema.POST_V1_13


def consumer_request(req: Request, uuid: str, data: dict[str, Any]) -> ConsumerRequest:
    allocs = data["allocations"]
    if isinstance(allocs, list):  # before 1.12
        allocs = {a["resource_provider"]["uuid"]: {"resources": a["resources"]} for a in allocs}
    state = placement(req)
    project: str = data.get("project_id") or state.incomplete_project_id
    user: str = data.get("user_id") or state.incomplete_user_id
    return ConsumerRequest(
        uuid=uuid, project=project, user=user,
        allocations={rp: dict(body["resources"]) for rp, body in allocs.items()},
        generation=data.get("consumer_generation") if want(req, "1.28") else UNSET,
        consumer_type=data.get("consumer_type") if want(req, "1.38") else None)


def generation_conflict(conflict: allocations.ConsumerGenerationConflict) -> errors.Conflict:
    # As upstream: a missing consumer is expected "null", a missing
    # generation sent is Python's "None".
    expected = "null" if conflict.expected is None else conflict.expected
    got = conflict.got
    return errors.Conflict(f"consumer generation conflict - expected {expected} but got {got}",
                           code=codes.CONCURRENT_UPDATE)


def provider_missing(missing: allocations.ProviderMissing) -> errors.BadRequest:
    return bad_request(f"Allocation for resource provider '{missing.uuid}' that does not exist.")


def _write(req: Request, requests: Sequence[ConsumerRequest],
           missing_class: Callable[[exc.NotFound], errors.ApiError]) -> Response:
    state = placement(req)
    attempts = max(state.conflict_retries, 1)
    for attempt in range(attempts):
        try:
            with state.db.writer() as conn:
                allocations.replace(conn, requests, check_generation=want(req, "1.28"))
            return empty()
        except allocations.ConsumerGenerationConflict as conflict:
            raise generation_conflict(conflict) from None
        except allocations.ProviderMissing as missing:
            raise provider_missing(missing) from None
        except exc.ResourceProviderConcurrentUpdateDetected as error:
            # A provider generation moved under us: read again and retry,
            # as upstream does server-side.
            if attempt + 1 == attempts:
                raise errors.Conflict(f"Inventory and/or allocations changed while attempting "
                                      f"to allocate: {error}",
                                      code=codes.CONCURRENT_UPDATE) from None
            LOG.debug("Retrying allocation write after a provider generation conflict")
        except exc.ConcurrentUpdateDetected as error:
            raise errors.Conflict(f"Inventory and/or allocations changed while attempting to "
                                  f"allocate: {error}", code=codes.CONCURRENT_UPDATE) from None
        except exc.InvalidInventory as error:
            raise errors.Conflict(f"Unable to allocate inventory: {error}") from None
        except exc.NotFound as error:
            raise missing_class(error) from None
    raise AssertionError("unreachable")


def _check_consumer_uuid(uuid: str) -> str:
    try:
        return str(uuidlib.UUID(uuid))
    except ValueError:
        raise bad_request(f"Malformed consumer_uuid: {uuid}") from None


@handler()
def put_allocations(req: Request) -> Response:
    """PUT /allocations/{consumer_uuid} -> 204."""
    req.context.can("placement:allocations:update")
    require_content(req)
    uuid = _check_consumer_uuid(req.path_params["consumer_uuid"])
    data = extract_json(req, _put_schema(req))
    request = consumer_request(req, uuid, data)
    return _write(req, [request], lambda error: bad_request(
        f"Unable to allocate inventory for consumer {uuid}: {error}"))


@handler("1.13")
def post_allocations(req: Request) -> Response:
    """POST /allocations (1.13-) -> 204: several consumers at once."""
    req.context.can("placement:allocations:manage")
    require_content(req)
    data = extract_json(req, _post_schema(req))
    requests = [consumer_request(req, uuid, body) for uuid, body in data.items()]
    return _write(req, requests, lambda error: bad_request(
        f"Unable to allocate inventory {error}"))


@handler()
def delete_allocations(req: Request) -> Response:
    """DELETE /allocations/{consumer_uuid} -> 204; 404 if it has none."""
    req.context.can("placement:allocations:delete")
    uuid = req.path_params["consumer_uuid"]
    with placement(req).db.writer() as conn:
        deleted = allocations.delete_for_consumer(conn, uuid)
    if not deleted:
        raise errors.NotFound(f"No allocations for consumer '{uuid}'")
    return empty()


@handler(accept=True)
def consumer_allocations(req: Request) -> Response:
    """GET /allocations/{consumer_uuid} -> 200 (empty for an unknown consumer)."""
    req.context.can("placement:allocations:list")
    uuid = req.path_params["consumer_uuid"]
    with placement(req).db.reader() as conn:
        found = allocations.of_consumer(conn, uuid)
        consumer = consumers.get_many(conn, [uuid]).get(uuid) if found else None
    by_rp: dict[str, dict[str, Any]] = {}
    for alloc in found:
        entry = by_rp.setdefault(alloc.rp_uuid, {"resources": {}})
        entry["resources"][alloc.resource_class] = alloc.used
        entry["generation"] = alloc.rp_generation
    body: dict[str, Any] = {"allocations": by_rp}
    if consumer is not None and want(req, "1.12"):
        body["project_id"] = consumer.project
        body["user_id"] = consumer.user
        if want(req, "1.28"):
            body["consumer_generation"] = consumer.generation
        if want(req, "1.38"):
            body["consumer_type"] = consumer.consumer_type or "unknown"
    return json_reply(req, body, last_modified=newest(*(a.created_at for a in found)))


@handler(accept=True)
def provider_allocations(req: Request) -> Response:
    """GET /resource_providers/{uuid}/allocations -> 200."""
    req.context.can("placement:resource_providers:allocations:list")
    uuid = req.path_params["uuid"]
    with placement(req).db.reader() as conn:
        try:
            rp = providers.get(conn, uuid)
        except exc.NotFound as error:
            raise errors.NotFound(f"Resource provider '{uuid}' not found: {error}") from None
        found = allocations.of_provider(conn, rp.id)
        generations = {c.uuid: c.generation for c in consumers.get_many(
            conn, {a.consumer_uuid for a in found}).values()}
    by_consumer: dict[str, dict[str, Any]] = {}
    for alloc in found:
        entry = by_consumer.setdefault(alloc.consumer_uuid, {"resources": {}})
        entry["resources"][alloc.resource_class] = alloc.used
        if want(req, "1.28"):
            entry["consumer_generation"] = generations.get(alloc.consumer_uuid)
    return json_reply(req, {"allocations": by_consumer,
                            "resource_provider_generation": rp.generation},
                      last_modified=newest(*(a.created_at for a in found)))
