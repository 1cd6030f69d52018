"""The compute services' client of the placement API (Nova's report client).

The scheduler asks it for allocation candidates and claims one; the agents
keep their providers' inventories and traits up to date; the conductor and
the API move and delete allocations. Every call goes over placement's HTTP
API as the service user, at microversion 1.39.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from nimbus.common.clients import ServiceAuth, ServiceClient
from nimbus.compute import exceptions as exc

LOG = logging.getLogger(__name__)

MICROVERSION = "1.39"
CONSUMER_TYPE = "INSTANCE"
MIGRATION_CONSUMER_TYPE = "MIGRATION"


class Conflict(Exception):
    """Placement answered 409: a generation moved, or capacity ran out."""

    def __init__(self, code: str | None, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class PlacementClient:
    def __init__(self, auth: ServiceAuth) -> None:
        self.client = ServiceClient(auth, "placement", MICROVERSION)

    # --- plumbing -----------------------------------------------------------------

    def _call(self, method: str, path: str, json: Any = None,
              params: Mapping[str, Any] | None = None, ok: tuple[int, ...] = (200,)) -> Any:
        resp = self.client.request(method, path, json=json, params=params)
        if resp.status_code in ok:
            return resp.json() if resp.content else None
        if resp.status_code == 409:
            code, detail = _error(resp)
            raise Conflict(code, detail)
        _, detail = _error(resp)
        raise exc.PlacementError(status=resp.status_code, method=method, url=path,
                                 detail=detail)

    # --- scheduling ------------------------------------------------------------------

    def allocation_candidates(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """GET /allocation_candidates: allocation_requests and provider_summaries.

        :raises NoValidHost: placement refused the query (a trait nobody
            defined, say): no host can match it.
        """
        resp = self.client.request("GET", "/allocation_candidates", params=params)
        if resp.status_code == 400:
            raise exc.NoValidHost(reason=_error(resp)[1])
        if resp.status_code != 200:
            raise exc.PlacementError(status=resp.status_code, method="GET",
                                     url="/allocation_candidates", detail=_error(resp)[1])
        result: dict[str, Any] = resp.json()
        return result

    def claim(self, consumer: str, allocation_request: Mapping[str, Any], project_id: str,
              user_id: str, consumer_generation: int | None = None,
              consumer_type: str = CONSUMER_TYPE) -> bool:
        """PUT one allocation request for a new (or known) consumer; False
        when capacity ran out or the consumer moved on (409)."""
        body = {"allocations": allocation_request["allocations"], "project_id": project_id,
                "user_id": user_id, "consumer_generation": consumer_generation,
                "consumer_type": consumer_type}
        if allocation_request.get("mappings"):
            body["mappings"] = allocation_request["mappings"]
        try:
            self._call("PUT", f"/allocations/{consumer}", json=body, ok=(204,))
        except Conflict as err:
            LOG.info("Claim for %s refused: %s", consumer, err.detail)
            return False
        return True

    def get_allocations(self, consumer: str) -> dict[str, Any]:
        """{"allocations": {rp: {"resources": ...}}, "consumer_generation", ...}."""
        result: dict[str, Any] = self._call("GET", f"/allocations/{consumer}")
        return result

    def provider_allocations(self, uuid: str) -> dict[str, Any]:
        """consumer -> {"resources": ...} of what is allocated on provider `uuid`."""
        found: dict[str, Any] = self._call(
            "GET", f"/resource_providers/{uuid}/allocations")["allocations"]
        return found

    def delete_allocations(self, consumer: str) -> bool:
        """Remove every allocation of `consumer`; False when it had none."""
        resp = self.client.request("DELETE", f"/allocations/{consumer}")
        if resp.status_code in (204, 404):
            return resp.status_code == 204
        _, detail = _error(resp)
        raise exc.PlacementError(status=resp.status_code, method="DELETE",
                                 url=f"/allocations/{consumer}", detail=detail)

    def replace_allocations(self, consumer: str, allocations: Mapping[str, Any],
                            project_id: str, user_id: str, consumer_generation: int | None,
                            consumer_type: str = CONSUMER_TYPE) -> None:
        """PUT a consumer's whole allocation set. :raises Conflict:"""
        self._call("PUT", f"/allocations/{consumer}", ok=(204,), json={
            "allocations": allocations, "project_id": project_id, "user_id": user_id,
            "consumer_generation": consumer_generation, "consumer_type": consumer_type})

    def move_allocations(self, source: str, target: str, project_id: str,
                         user_id: str, target_type: str = MIGRATION_CONSUMER_TYPE) -> bool:
        """Move `source`'s allocations to `target` in one POST /allocations
        (Nova's migration-based allocations); False when `source` had none."""
        current = self.get_allocations(source)
        if not current.get("allocations"):
            return False
        target_now = self.get_allocations(target)
        body = {
            source: {"allocations": {}, "project_id": project_id, "user_id": user_id,
                     "consumer_generation": current.get("consumer_generation"),
                     "consumer_type": current.get("consumer_type") or CONSUMER_TYPE},
            target: {"allocations": current["allocations"], "project_id": project_id,
                     "user_id": user_id,
                     "consumer_generation": target_now.get("consumer_generation"),
                     "consumer_type": target_type},
        }
        self._call("POST", "/allocations", json=body, ok=(204,))
        return True

    def merge_allocations(self, source: str, target: str, project_id: str,
                          user_id: str) -> bool:
        """Add `source`'s allocations to `target`'s and empty `source`, in one
        POST /allocations (an evacuated instance holds its source and its
        destination until the source comes back); False when `source` had none.
        :raises Conflict:"""
        current = self.get_allocations(source)
        if not current.get("allocations"):
            return False
        target_now = self.get_allocations(target)
        merged = _add(target_now.get("allocations") or {}, current["allocations"])
        body = {
            source: {"allocations": {}, "project_id": project_id, "user_id": user_id,
                     "consumer_generation": current.get("consumer_generation"),
                     "consumer_type": current.get("consumer_type") or MIGRATION_CONSUMER_TYPE},
            target: {"allocations": merged, "project_id": project_id, "user_id": user_id,
                     "consumer_generation": target_now.get("consumer_generation"),
                     "consumer_type": target_now.get("consumer_type") or CONSUMER_TYPE},
        }
        self._call("POST", "/allocations", json=body, ok=(204,))
        return True

    def claim_on(self, consumer: str, provider: str, resources: Mapping[str, int],
                 project_id: str, user_id: str) -> bool:
        """Add `resources` on `provider` to what `consumer` holds (the claim
        of a move forced to a host, which skips the scheduler); False when
        the provider lacks room or the consumer moved on."""
        current = self.get_allocations(consumer)
        merged = _add(current.get("allocations") or {},
                      {provider: {"resources": dict(resources)}})
        try:
            self.replace_allocations(consumer, merged, project_id, user_id,
                                     current.get("consumer_generation"),
                                     current.get("consumer_type") or CONSUMER_TYPE)
        except Conflict as err:
            LOG.info("Claim of %s on %s refused: %s", consumer, provider, err.detail)
            return False
        return True

    def remove_provider(self, consumer: str, provider: str) -> bool:
        """Drop what `consumer` holds on `provider`, keeping the rest (the
        source of an evacuation, once cleaned up); False when it held nothing there.
        :raises Conflict:"""
        current = self.get_allocations(consumer)
        held = dict(current.get("allocations") or {})
        if held.pop(provider, None) is None:
            return False
        if not held:
            return self.delete_allocations(consumer)
        self.replace_allocations(consumer, {rp: {"resources": a["resources"]}
                                            for rp, a in held.items()},
                                 current.get("project_id") or "",
                                 current.get("user_id") or "",
                                 current.get("consumer_generation"),
                                 current.get("consumer_type") or CONSUMER_TYPE)
        return True

    # --- providers (the agents' reports) -------------------------------------------

    def get_provider(self, uuid: str) -> dict[str, Any] | None:
        resp = self.client.request("GET", f"/resource_providers/{uuid}")
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise exc.PlacementError(status=resp.status_code, method="GET",
                                     url=f"/resource_providers/{uuid}", detail=_error(resp)[1])
        found: dict[str, Any] = resp.json()
        return found

    def find_provider(self, name: str) -> dict[str, Any] | None:
        found = self._call("GET", "/resource_providers", params={"name": name})
        providers = found.get("resource_providers", [])
        return providers[0] if providers else None

    def create_provider(self, uuid: str, name: str, parent: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"uuid": uuid, "name": name}
        if parent:
            body["parent_provider_uuid"] = parent
        created: dict[str, Any] = self._call("POST", "/resource_providers", json=body)
        return created

    def delete_provider(self, uuid: str) -> None:
        self._call("DELETE", f"/resource_providers/{uuid}", ok=(204, 404))

    def get_inventories(self, uuid: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"/resource_providers/{uuid}/inventories")
        return found

    def set_inventories(self, uuid: str, generation: int,
                        inventories: Mapping[str, Any]) -> int:
        """PUT the whole inventory; the new generation. :raises Conflict:"""
        result = self._call("PUT", f"/resource_providers/{uuid}/inventories", json={
            "resource_provider_generation": generation, "inventories": inventories})
        return int(result["resource_provider_generation"])

    def get_traits(self, uuid: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"/resource_providers/{uuid}/traits")
        return found

    def set_traits(self, uuid: str, generation: int, traits: list[str]) -> int:
        """PUT the provider's traits (custom ones created first). :raises Conflict:"""
        for trait in traits:
            if trait.startswith("CUSTOM_"):
                self._call("PUT", f"/traits/{trait}", ok=(201, 204))
        result = self._call("PUT", f"/resource_providers/{uuid}/traits", json={
            "resource_provider_generation": generation, "traits": sorted(traits)})
        return int(result["resource_provider_generation"])

    def get_aggregates(self, uuid: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", f"/resource_providers/{uuid}/aggregates")
        return found

    def set_aggregates(self, uuid: str, generation: int, aggregates: list[str]) -> int:
        result = self._call("PUT", f"/resource_providers/{uuid}/aggregates", json={
            "resource_provider_generation": generation, "aggregates": sorted(aggregates)})
        return int(result["resource_provider_generation"])

    def add_to_aggregate(self, provider_uuid: str, aggregate_uuid: str) -> None:
        """Mirror a host aggregate membership into placement (retrying a
        generation race a few times, as Nova does)."""
        self._change_aggregates(provider_uuid, lambda aggs: aggs | {aggregate_uuid})

    def remove_from_aggregate(self, provider_uuid: str, aggregate_uuid: str) -> None:
        self._change_aggregates(provider_uuid, lambda aggs: aggs - {aggregate_uuid})

    def _change_aggregates(self, provider_uuid: str, change: Any) -> None:
        for _attempt in range(5):
            current = self.get_aggregates(provider_uuid)
            wanted = change(set(current["aggregates"]))
            if wanted == set(current["aggregates"]):
                return
            try:
                self.set_aggregates(provider_uuid, current["resource_provider_generation"],
                                    sorted(wanted))
                return
            except Conflict:
                continue
        raise exc.PlacementError(status=409, method="PUT", url="aggregates",
                                 detail="the provider kept changing")

    def usages(self, project_id: str, user_id: str | None = None) -> dict[str, int]:
        params = {"project_id": project_id}
        if user_id:
            params["user_id"] = user_id
        found: dict[str, int] = self._call("GET", "/usages", params=params)["usages"]
        return found

    def close(self) -> None:
        self.client.close()


def _error(resp: httpx.Response) -> tuple[str | None, str]:
    try:
        first = resp.json()["errors"][0]
        return first.get("code"), str(first.get("detail", ""))
    except (ValueError, KeyError, IndexError, TypeError):
        return None, resp.text[:500]


def _add(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """Two allocation sets ({rp: {"resources": {rc: n}}}) summed per provider and class."""
    total: dict[str, dict[str, int]] = {}
    for allocations in (first, second):
        for rp, alloc in allocations.items():
            into = total.setdefault(rp, {})
            for rc, amount in alloc["resources"].items():
                into[rc] = into.get(rc, 0) + int(amount)
    return {rp: {"resources": resources} for rp, resources in total.items()}
