"""The compute services' client of the image API (Nova's glance client).

The API reads, creates and deletes images with the caller's token, so that
a user can only boot, snapshot to and delete what they may; the agents
upload snapshots as the service user on the owner's behalf. The image
service's refusals become the compute service's domain errors, worded as
Nova words them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from nimbus.common.clients import ClientError, ServiceAuth, ServiceClient
from nimbus.compute import exceptions as exc
from nimbus.compute.objects.image import ImageMeta

_PATCH = "application/openstack-images-v2.1-json-patch"


def _detail(resp: httpx.Response) -> str:
    return resp.text[:300]


class ImageClient:
    def __init__(self, auth: ServiceAuth) -> None:
        self.client = ServiceClient(auth, "image")

    @property
    def endpoint(self) -> str:
        """The image service's root URL (what Nova links images to)."""
        try:
            return self.client.base
        except ClientError as err:
            raise exc.ServiceUnavailable(detail=f"The image service is unknown: {err}") \
                from None

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.client.request(method, path, **kwargs)
        except ClientError as err:
            raise exc.ServiceUnavailable(detail=f"The image service is unreachable: {err}") \
                from None

    def _refused(self, resp: httpx.Response, image_id: str, what: str) -> exc.ComputeError:
        """The domain error of an answer the caller did not hope for."""
        status = resp.status_code
        if status == 404:
            return exc.ImageNotFound(image_id=image_id)
        if status in (401, 403):
            return exc.ImageNotAuthorized(image_id=image_id)
        if status == 413:
            return exc.ImageQuotaExceeded(image_id=image_id)
        if status == 400:
            return exc.ImageBadRequest(image_id=image_id, response=_detail(resp))
        if status == 409:
            return exc.Conflict(f"The image service refused to {what} image {image_id}: "
                                f"{_detail(resp)}")
        return exc.ServiceUnavailable(
            detail=f"The image service answered {status} to {what} image {image_id}")

    # --- reads -----------------------------------------------------------------------

    def get(self, image_id: str, user_token: str | None = None) -> dict[str, Any]:
        """An image's body. :raises ImageNotFound: (also when the caller may not see it)"""
        resp = self._request("GET", f"/v2/images/{image_id}", user_token=user_token)
        if resp.status_code in (404, 403, 400):
            raise exc.ImageNotFound(image_id=image_id)
        if resp.status_code != 200:
            raise self._refused(resp, image_id, "show")
        found: dict[str, Any] = resp.json()
        return found

    def meta(self, image_id: str, user_token: str | None = None) -> ImageMeta:
        return ImageMeta.from_image(self.get(image_id, user_token))

    def list_images(self, user_token: str | None, params: dict[str, Any]) -> dict[str, Any]:
        """One page of GET /v2/images. :raises InvalidRequest: a filter the image
        service refused"""
        resp = self._request("GET", "/v2/images", params=params, user_token=user_token)
        if resp.status_code == 400:
            raise exc.InvalidRequest(detail=_detail(resp))
        if resp.status_code != 200:
            raise exc.ServiceUnavailable(
                detail=f"The image service answered {resp.status_code} to a list")
        found: dict[str, Any] = resp.json()
        return found

    def iter_images(self, user_token: str | None, params: dict[str, Any],
                    limit: int) -> Iterator[dict[str, Any]]:
        """Up to `limit` images, following the image service's pages."""
        wanted = dict(params, limit=str(min(limit, 1000)))
        given = 0
        while given < limit:
            page = self.list_images(user_token, wanted)
            images = page.get("images", [])
            for image in images[:limit - given]:
                given += 1
                yield image
            if not images or "next" not in page:
                return
            wanted["marker"] = images[-1]["id"]

    # --- writes ----------------------------------------------------------------------

    def create(self, body: dict[str, Any], user_token: str | None = None) -> dict[str, Any]:
        """A new (queued) image. :raises ImageQuotaExceeded: :raises ImageBadRequest:"""
        resp = self._request("POST", "/v2/images", json=body, user_token=user_token)
        if resp.status_code != 201:
            raise self._refused(resp, str(body.get("name", "")), "create")
        found: dict[str, Any] = resp.json()
        return found

    def add_member(self, image_id: str, member: str, user_token: str | None = None) -> None:
        """Share an image with another project (Nova's instance_owner)."""
        resp = self._request("POST", f"/v2/images/{image_id}/members",
                             json={"member": member}, user_token=user_token)
        if resp.status_code not in (200, 409):  # 409: a member already
            raise self._refused(resp, image_id, "share")

    def update(self, image_id: str, changes: list[dict[str, Any]],
               user_token: str | None = None) -> dict[str, Any]:
        """Apply JSON-patch `changes`; the image after them."""
        resp = self._request("PATCH", f"/v2/images/{image_id}", json=changes,
                             user_token=user_token, headers={"Content-Type": _PATCH})
        if resp.status_code != 200:
            raise self._refused(resp, image_id, "update")
        found: dict[str, Any] = resp.json()
        return found

    def upload(self, image_id: str, data: bytes | Iterable[bytes]) -> None:
        """Store the image's data, as the service user."""
        resp = self._request("PUT", f"/v2/images/{image_id}/file", content=data,
                             headers={"Content-Type": "application/octet-stream"})
        if resp.status_code != 204:
            raise self._refused(resp, image_id, "upload")

    def delete(self, image_id: str, user_token: str | None = None) -> bool:
        """False when it was gone already."""
        resp = self._request("DELETE", f"/v2/images/{image_id}", user_token=user_token)
        if resp.status_code == 404:
            return False
        if resp.status_code != 204:
            raise self._refused(resp, image_id, "delete")
        return True

    def close(self) -> None:
        self.client.close()
