"""The compute services' client of the image API (Nova's glance client).

The API reads images with the caller's token, so that a user can only boot
what they may see; the agents upload snapshots as the service user on the
owner's behalf.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nimbus.common.clients import ServiceAuth, ServiceClient
from nimbus.compute import exceptions as exc
from nimbus.compute.objects.image import ImageMeta


class ImageClient:
    def __init__(self, auth: ServiceAuth) -> None:
        self.client = ServiceClient(auth, "image")

    def get(self, image_id: str, user_token: str | None = None) -> dict[str, Any]:
        """An image's body. :raises ImageNotFound: (also when the caller may not see it)"""
        resp = self.client.request("GET", f"/v2/images/{image_id}", user_token=user_token)
        if resp.status_code in (404, 403, 400):
            raise exc.ImageNotFound(image_id=image_id)
        if resp.status_code != 200:
            raise exc.ServiceUnavailable(
                detail=f"The image service answered {resp.status_code} for image {image_id}")
        found: dict[str, Any] = resp.json()
        return found

    def meta(self, image_id: str, user_token: str | None = None) -> ImageMeta:
        return ImageMeta.from_image(self.get(image_id, user_token))

    def list_images(self, user_token: str, params: dict[str, Any]) -> dict[str, Any]:
        resp = self.client.request("GET", "/v2/images", params=params, user_token=user_token)
        if resp.status_code != 200:
            raise exc.ServiceUnavailable(
                detail=f"The image service answered {resp.status_code} to a list")
        found: dict[str, Any] = resp.json()
        return found

    def create(self, body: dict[str, Any], user_token: str | None = None) -> dict[str, Any]:
        resp = self.client.request("POST", "/v2/images", json=body, user_token=user_token)
        if resp.status_code != 201:
            raise exc.ServiceUnavailable(
                detail=f"The image service refused the snapshot image: {resp.status_code} "
                f"{resp.text[:300]}")
        found: dict[str, Any] = resp.json()
        return found

    def update(self, image_id: str, changes: list[dict[str, Any]],
               user_token: str | None = None) -> dict[str, Any]:
        resp = self.client.request(
            "PATCH", f"/v2/images/{image_id}", json=changes, user_token=user_token,
            headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})
        if resp.status_code == 404:
            raise exc.ImageNotFound(image_id=image_id)
        if resp.status_code != 200:
            raise exc.ServiceUnavailable(
                detail=f"The image service answered {resp.status_code} to a patch")
        found: dict[str, Any] = resp.json()
        return found

    def upload(self, image_id: str, data: bytes | Iterable[bytes]) -> None:
        resp = self.client.request("PUT", f"/v2/images/{image_id}/file", content=data,
                                   headers={"Content-Type": "application/octet-stream"})
        if resp.status_code == 404:
            raise exc.ImageNotFound(image_id=image_id)
        if resp.status_code != 204:
            raise exc.ServiceUnavailable(
                detail=f"The image service refused the upload: {resp.status_code} "
                f"{resp.text[:300]}")

    def delete(self, image_id: str, user_token: str | None = None) -> bool:
        resp = self.client.request("DELETE", f"/v2/images/{image_id}", user_token=user_token)
        if resp.status_code == 404:
            return False
        if resp.status_code != 204:
            raise exc.ServiceUnavailable(
                detail=f"The image service answered {resp.status_code} to a delete")
        return True

    def close(self) -> None:
        self.client.close()
