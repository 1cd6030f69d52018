"""Interoperable image import: glance-direct, web-download and copy-image.

``POST /v2/images/{id}/import`` checks the request, records a task and
claims the image (the ``os_glance_import_task`` property is the lock), then
this module does the work in a background thread of the API process: the
data goes through the same ingest path as uploads (hashes, inspection,
commit) into each target store in turn. Progress is in the image's
``os_glance_importing_to_stores`` / ``os_glance_failed_import`` properties
and in the task. When a store fails and ``all_stores_must_succeed`` holds,
the data already written by this import is removed and the image returns to
the status it had (queued for web-download, uploading for glance-direct).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from nimbus.common.api import errors
from nimbus.image import data_quota, web_download
from nimbus.image.db import data as db
from nimbus.image.db import tasks as tasks_db
from nimbus.image.ingest import Ingest, Stored
from nimbus.image.service import Image
from nimbus.image.store.base import Store, StoreError

LOG = logging.getLogger(__name__)

IMPORTING = "os_glance_importing_to_stores"
FAILED = "os_glance_failed_import"
LOCK = "os_glance_import_task"
CHUNK = 1 << 20

_EXECUTORS: dict[int, ThreadPoolExecutor] = {}


@dataclass(frozen=True)
class Job:
    task_id: str
    image_id: str
    method: str
    stores: list[str]
    all_must_succeed: bool
    uri: str | None
    previous_status: str  # where a failed import leaves the image


def submit(svc: Image, job: Job) -> None:
    executor = _EXECUTORS.get(id(svc))
    if executor is None:
        executor = _EXECUTORS[id(svc)] = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="image-import")
    executor.submit(run, svc, job)


def _csv(value: str | None) -> list[str]:
    return [item for item in (value or "").split(",") if item]


def _drop_from(conn: Any, image_id: str, name: str, store: str) -> None:
    remaining = [s for s in _csv(db.get_property(conn, image_id, name)) if s != store]
    db.set_property(conn, image_id, name, ",".join(remaining))


def _source(svc: Image, job: Job, written: list[tuple[Store, str]]) -> Callable[[], Iterator[bytes]]:
    """A way to open the data to import, again for each store."""
    if written:  # copy the first store's committed data rather than fetch it again
        store, location = written[0]
        return lambda: store.open(location, 0, None, CHUNK)
    if job.method == "web-download":
        assert job.uri is not None
        uri = job.uri
        return lambda: web_download.open_url(uri, svc.conf)
    with svc.db.reader() as conn:
        if job.method == "glance-direct":
            staged = db.staging(conn, job.image_id)
            if staged is None:
                raise errors.Conflict("The image has no staged data.")
            staging, url = svc.stores.staging, staged["url"]
            return lambda: staging.open(url, 0, None, CHUNK)
        places = [loc for loc in db.locations(conn, job.image_id) if loc["status"] == "active"]
    if not places:
        raise errors.Conflict("The image has no data to copy.")
    source = svc.stores.get(places[0]["store"])
    url = places[0]["url"]
    return lambda: source.open(url, 0, None, CHUNK)


def _record(svc: Image, job: Job, store: Store, stored: Stored) -> bool:
    """Add the new copy; the first one makes the image active."""
    with svc.db.writer() as conn:
        status = db.status(conn, job.image_id)
        if status is None:
            return False
        if status == "importing":
            db.transition(conn, job.image_id, ["importing"], "active", size=stored.size,
                          checksum=stored.checksum, os_hash_algo=stored.hash_algo,
                          os_hash_value=stored.hash_value, virtual_size=stored.virtual_size)
        db.add_location(conn, job.image_id, store.name, stored.location)
        _drop_from(conn, job.image_id, IMPORTING, store.name)
    return True


def _fail_store(svc: Image, job: Job, store_name: str) -> None:
    with svc.db.writer() as conn:
        _drop_from(conn, job.image_id, IMPORTING, store_name)
        failed = _csv(db.get_property(conn, job.image_id, FAILED))
        if store_name not in failed:
            failed.append(store_name)
        db.set_property(conn, job.image_id, FAILED, ",".join(failed))


def _image(svc: Image, image_id: str) -> dict[str, Any] | None:
    from nimbus.image.db import images as images_db

    with svc.db.reader() as conn:
        return images_db.get(conn, image_id)


def run(svc: Image, job: Job) -> None:
    """Do one import; never raises (the outcome is in the task and image)."""
    try:
        _run(svc, job)
    except Exception:
        LOG.exception("Import of image %s failed unexpectedly", job.image_id)
        _finish(svc, job, "failure", "Unexpected error; see the service log.", rollback=[])


def _run(svc: Image, job: Job) -> None:
    with svc.db.writer() as conn:
        tasks_db.set_status(conn, job.task_id, "processing")
    image = _image(svc, job.image_id)
    if image is None:
        _finish(svc, job, "failure", "The image was deleted.", rollback=[])
        return
    written: list[tuple[Store, str]] = []
    errors_seen: list[str] = []
    for name in job.stores:
        try:
            store = svc.stores.get(name)
            with svc.db.reader() as conn:
                room = data_quota.room_to_store(conn, svc.conf, image["owner"])
            limit = data_quota.smallest(room, svc.conf.image.image_size_cap)
            open_source = _source(svc, job, written)
            ingest = Ingest(svc.conf, store, job.image_id, disk_format=image["disk_format"],
                            size_limit=limit)
            stored = ingest.run(open_source())
        except (errors.ApiError, StoreError, web_download.URLRefused,
                web_download.DownloadError) as exc:
            message = exc.message if isinstance(exc, errors.ApiError) else str(exc)
            LOG.warning("Import of image %s into store %s failed: %s",
                        job.image_id, name, message)
            errors_seen.append(f"{name}: {message}")
            _fail_store(svc, job, name)
            if job.all_must_succeed:
                _finish(svc, job, "failure", "; ".join(errors_seen), rollback=written)
                return
            continue
        if not _record(svc, job, store, stored):
            store.delete(stored.location)
            _finish(svc, job, "failure", "The image was deleted during the import.",
                    rollback=written)
            return
        written.append((store, stored.location))
    if not written:
        _finish(svc, job, "failure", "; ".join(errors_seen) or "Nothing was imported.",
                rollback=[])
        return
    _finish(svc, job, "success", "; ".join(errors_seen), rollback=None)


def _finish(svc: Image, job: Job, outcome: str, message: str,
            rollback: list[tuple[Store, str]] | None) -> None:
    """Record the outcome; on failure undo what this import wrote (`rollback`)
    and put the image back where it was."""
    staged_url = None
    with svc.db.writer() as conn:
        for store, _location in rollback or ():
            db.remove_location(conn, job.image_id, store.name)
        if rollback is not None and job.method != "copy-image":
            db.transition(conn, job.image_id, ["importing", "active"], job.previous_status,
                          size=None, checksum=None, os_hash_algo=None, os_hash_value=None,
                          virtual_size=None)
        if outcome == "success" and job.method == "glance-direct":
            staged = db.staging(conn, job.image_id)
            staged_url = staged["url"] if staged else None
            db.clear_staging(conn, job.image_id)
        # Left empty, never removed: clients wait for it to be present and empty.
        db.set_property(conn, job.image_id, IMPORTING, "")
        if db.get_property(conn, job.image_id, LOCK) == job.task_id:
            db.set_property(conn, job.image_id, LOCK, None)
        tasks_db.finish(conn, job.task_id, outcome, message=message,
                        result={"image_id": job.image_id},
                        ttl_hours=svc.conf.image.task_time_to_live)
    for store, location in rollback or ():
        _delete_quietly(store, location)
    if staged_url:
        _delete_quietly(svc.stores.staging, staged_url)


def _delete_quietly(store: Store, location: str) -> None:
    try:
        store.delete(location)
    except StoreError as exc:
        LOG.warning("Could not remove %s from store %s: %s", location, store.name, exc)
