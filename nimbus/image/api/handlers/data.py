"""Image data: PUT/GET /v2/images/{id}/file and PUT /v2/images/{id}/stage.

Uploads stream: the body goes from the socket through the write pipeline to
the store without ever being whole in memory. The image moves queued ->
saving -> active (staging: queued -> uploading); a failed or cut-off upload
puts it back to queued and leaves no file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
from starlette.responses import Response, StreamingResponse

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, streaming
from nimbus.image import data_quota, quotas
from nimbus.image.api import common
from nimbus.image.api.handlers import images
from nimbus.image.db import data as db
from nimbus.image.ingest import Ingest, Stored, api_error
from nimbus.image.service import Image
from nimbus.image.store.base import Store, StoreError

CHUNK = 1 << 20
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _octet_stream(req: Request) -> None:
    declared = req.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared != "application/octet-stream":
        raise errors.UnsupportedMediaType(
            f"The media type {declared or 'None'} is not supported; "
            "send image data as application/octet-stream.")


def _expected_size(req: Request) -> int | None:
    declared = req.headers.get("content-length")
    if declared is None:
        return None
    try:
        return int(declared)
    except ValueError:
        raise errors.BadRequest("Invalid Content-Length header.") from None


def _target_store(svc: Image, req: Request) -> Store:
    name = req.headers.get("x-image-meta-store")
    if not name:
        return svc.stores.default
    try:
        store = svc.stores.get(name)
    except StoreError:
        raise errors.BadRequest(f"Unknown store {name}.") from None
    if store is svc.stores.staging:
        raise errors.BadRequest(f"Unknown store {name}.")
    return store


def _begin(req: Request, image_id: str, to_status: str) -> tuple[dict[str, Any], int | None]:
    """Check the caller may put data into the image and claim it (queued ->
    `to_status`); returns the image and the bytes the quotas leave room for."""
    svc = common.image_service(req)
    with svc.db.writer() as conn:
        image = common.load_image(conn, req, image_id)
        common.authorize(req, "upload_image", image)
        if image["status"] != "queued":
            status = image["status"]
            if status == "deactivated":
                raise errors.Forbidden("Image is deactivated; its data cannot be changed.")
            raise errors.Conflict(
                f"Image status transition from {status} to {to_status} is not allowed")
        quotas.check_uploading(svc.conf, conn, image["owner"])
        if to_status == "uploading":
            room = data_quota.room_to_stage(conn, svc.conf, image["owner"])
        else:
            room = data_quota.room_to_store(conn, svc.conf, image["owner"])
        if not db.transition(conn, image_id, ["queued"], to_status):
            raise errors.Conflict(
                f"Image status transition from {image['status']} to {to_status} "
                "is not allowed")
    return image, data_quota.smallest(room, svc.conf.image.image_size_cap)


def _restore(svc: Image, image_id: str, from_status: str) -> None:
    with svc.db.writer() as conn:
        db.transition(conn, image_id, [from_status], "queued")


def _finish_upload(svc: Image, image_id: str, store: Store, stored: Stored) -> bool:
    with svc.db.writer() as conn:
        done = db.transition(
            conn, image_id, ["saving"], "active", size=stored.size,
            checksum=stored.checksum, os_hash_algo=stored.hash_algo,
            os_hash_value=stored.hash_value, virtual_size=stored.virtual_size)
        if done:
            db.add_location(conn, image_id, store.name, stored.location)
    return done


def _finish_stage(svc: Image, image: dict[str, Any], store: Store, stored: Stored) -> bool:
    with svc.db.writer() as conn:
        if db.status(conn, image["id"]) != "uploading":
            return False
        db.set_staging(conn, image["id"], image["owner"], stored.location, stored.size)
    return True


async def _receive(req: Request, to_status: str, staging: bool) -> Response:
    svc = common.image_service(req)
    image_id = req.path_params["image_id"]
    _octet_stream(req)
    expected = _expected_size(req)
    image, limit = await anyio.to_thread.run_sync(_begin, req, image_id, to_status)
    try:
        store = svc.stores.staging if staging else _target_store(svc, req)
        if limit is not None and expected is not None and expected > limit:
            raise errors.PayloadTooLarge(
                "Denying attempt to upload image larger than the quota or size cap allows.")
        try:
            ingest = await anyio.to_thread.run_sync(
                lambda: Ingest(svc.conf, store, image_id, disk_format=image["disk_format"],
                               size_limit=limit, expected_size=expected))
        except StoreError as exc:
            raise api_error(exc) from None
        stored = await ingest.arun(req.stream())
    except BaseException:
        await anyio.to_thread.run_sync(_restore, svc, image_id, to_status)
        raise
    finish = _finish_stage if staging else _finish_upload
    done = await anyio.to_thread.run_sync(
        finish, svc, image if staging else image_id, store, stored)  # type: ignore[arg-type]
    if not done:
        # Deleted (or otherwise moved on) while the data was arriving.
        await anyio.to_thread.run_sync(store.delete, stored.location)
        raise errors.Gone("Image was deleted or changed while its data was being uploaded.")
    return empty_response(204)


@streaming
async def upload(req: Request) -> Response:
    return await _receive(req, "saving", staging=False)


@streaming
async def stage(req: Request) -> Response:
    svc = common.image_service(req)
    if "glance-direct" not in svc.conf.image.enabled_import_methods:
        raise errors.NotFound("glance-direct import method is not enabled.")
    return await _receive(req, "uploading", staging=True)


def _remove_data(svc: Image, image: dict[str, Any]) -> None:
    """After an image is deleted: its data goes from every store, and any
    staged data with it."""
    for place in image.get("locations") or ():
        svc.stores.get(place["store"]).delete(place["url"])
    with svc.db.writer() as conn:
        staged = db.staging(conn, image["id"])
        db.clear_staging(conn, image["id"])
    if staged is not None:
        svc.stores.staging.delete(staged["url"])


images.on_delete.append(_remove_data)


def _parse_range(header: str, size: int) -> tuple[int, int]:
    """(offset, length) of a single `Range: bytes=...`, or 416."""
    match = _RANGE.match(header.strip())
    unsatisfiable = errors.RangeNotSatisfiable(headers={"Content-Range": f"bytes */{size}"})
    if not match or match.groups() == ("", ""):
        raise unsatisfiable
    first, last = match.groups()
    if first == "":
        length = min(int(last), size)
        if length == 0:
            raise unsatisfiable
        return size - length, length
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise unsatisfiable
    return start, end - start + 1


def download(req: Request) -> Response:
    svc = common.image_service(req)
    image_id = req.path_params["image_id"]
    with svc.db.reader() as conn:
        image = common.load_image(conn, req, image_id)
        common.authorize(req, "download_image", image)
        if image["status"] == "deactivated" and not common.is_admin(req):
            raise errors.Forbidden("The requested image has been deactivated. "
                                   "Image data download is forbidden.")
        places = [loc for loc in db.locations(conn, image_id) if loc["status"] == "active"]
    if not places:
        return empty_response(204)
    size = image["size"] or 0
    headers = {"Content-Type": "application/octet-stream"}
    status = 200
    offset, length = 0, size
    wanted = req.headers.get("range")
    if wanted:
        offset, length = _parse_range(wanted, size)
        status = 206
        headers["Content-Range"] = f"bytes {offset}-{offset + length - 1}/{size}"
    elif image.get("checksum"):
        headers["Content-MD5"] = image["checksum"]
    headers["Content-Length"] = str(length)
    chunks = _open_first(svc, places, offset, length)
    return StreamingResponse(chunks, status_code=status, headers=headers)


def _open_first(svc: Image, places: list[dict[str, Any]], offset: int,
                length: int) -> Iterator[bytes]:
    """The data from the first store that can serve it (errors before the
    first byte try the next store; after it, the response is cut short)."""
    last: StoreError | None = None
    for place in places:
        try:
            store = svc.stores.get(place["store"])
            chunks = store.open(place["url"], offset, length, CHUNK)
            first = next(chunks, b"")
        except StoreError as exc:
            last = exc
            continue
        return _prepend(first, chunks)
    raise api_error(last) if last else errors.ServiceUnavailable()


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest
