"""POST /v2/images/{id}/import and DELETE /v2/stores/{store}/{id}."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response
from nimbus.common.db import after_commit
from nimbus.image import data_quota, importer, quotas, web_download
from nimbus.image.api import common
from nimbus.image.db import data as db
from nimbus.image.db import tasks as tasks_db
from nimbus.image.service import Image
from nimbus.image.store.base import StoreError


def _parse(svc: Image, body: Any) -> tuple[str, str | None, list[str] | None, bool, bool]:
    if not isinstance(body, dict):
        raise errors.BadRequest("Import request body must be an object.")
    method = body.get("method")
    if not isinstance(method, dict) or not isinstance(method.get("name"), str):
        raise errors.BadRequest("Import request requires a 'method' with a 'name'.")
    name = method["name"]
    if name not in svc.conf.image.enabled_import_methods:
        raise errors.BadRequest(f"Import method {name} is not valid.")
    uri = method.get("uri")
    if name == "web-download" and not isinstance(uri, str):
        raise errors.BadRequest("The web-download import method requires a 'uri'.")
    stores = body.get("stores")
    if stores is not None and (not isinstance(stores, list)
                               or not all(isinstance(s, str) for s in stores)):
        raise errors.BadRequest("'stores' must be a list of store identifiers.")
    all_stores = body.get("all_stores", False)
    must_succeed = body.get("all_stores_must_succeed", True)
    if not isinstance(all_stores, bool) or not isinstance(must_succeed, bool):
        raise errors.BadRequest("'all_stores' and 'all_stores_must_succeed' are booleans.")
    if all_stores and stores:
        raise errors.BadRequest("'stores' and 'all_stores' cannot be used together.")
    return name, uri, stores, all_stores, must_succeed


def _targets(svc: Image, req: Request, stores: list[str] | None, all_stores: bool) -> list[str]:
    if all_stores:
        return [s.name for s in svc.stores.all() if not s.read_only]
    header = req.headers.get("x-image-meta-store")
    names = stores if stores else ([header] if header else [svc.stores.default.name])
    for name in names:
        try:
            store = svc.stores.get(name)
        except StoreError:
            raise errors.Conflict(f"Store for scheme {name} not found") from None
        if store is svc.stores.staging or store.read_only:
            raise errors.Conflict(f"Store {name} cannot be imported into.")
    return list(dict.fromkeys(names))


def _check_status(image: dict[str, Any], method: str) -> None:
    status = image["status"]
    if status == "active" and method != "copy-image":
        raise errors.Conflict("Image with status active cannot be target for import")
    if status != "active" and method == "copy-image":
        raise errors.Conflict("Only images with status active can be targeted for copying")
    if status != "queued" and method == "web-download":
        raise errors.Conflict(f"Image needs to be in 'queued' state to use '{method}' method")
    if status != "uploading" and method == "glance-direct":
        raise errors.Conflict(
            "Image needs to be staged before 'glance-direct' method can be used")
    if not image.get("container_format"):
        raise errors.Conflict("'container_format' needs to be set before import")
    if not image.get("disk_format"):
        raise errors.Conflict("'disk_format' needs to be set before import")


def import_image(req: Request) -> Response:
    svc = common.image_service(req)
    image_id = req.path_params["image_id"]
    method, uri, stores, all_stores, must_succeed = _parse(svc, common.require_json(req))
    with svc.db.writer() as conn:
        image = common.load_image(conn, req, image_id)
        common.authorize(req, "copy_image" if method == "copy-image" else "modify_image", image)
        _check_status(image, method)
        data_quota.room_to_store(conn, svc.conf, image["owner"])
        targets = _targets(svc, req, stores, all_stores)
        present = {loc["store"] for loc in db.locations(conn, image_id)}
        if method == "copy-image":
            if all_stores:
                targets = [name for name in targets if name not in present]
                if not targets:  # already everywhere: nothing to do, and done
                    db.set_property(conn, image_id, importer.IMPORTING, "")
                    if db.get_property(conn, image_id, importer.FAILED) is None:
                        db.set_property(conn, image_id, importer.FAILED, "")
                    return empty_response(202)
            for name in targets:
                if name in present:
                    raise errors.BadRequest(f"Image is already present at store '{name}'")
        else:
            quotas.check_uploading(svc.conf, conn, image["owner"])
        if method == "web-download":
            assert uri is not None
            try:
                web_download.check_url(uri, svc.conf)
            except web_download.URLRefused:
                raise errors.BadRequest(
                    f"URI for web-download does not pass filtering: {uri}") from None
        if db.get_property(conn, image_id, importer.LOCK):
            raise errors.Conflict(f"New operation on image '{image_id}' is not permitted as "
                                  "prior operation is still in progress")
        task = tasks_db.create(
            conn, type="api_image_import", owner=req.context.project_id,
            input={"image_id": image_id, "import_req": _echo(method, uri, stores, all_stores,
                                                               must_succeed),
                   "backend": targets},
            image_id=image_id, request_id=req.context.request_id,
            user_id=req.context.user_id)
        db.set_property(conn, image_id, importer.LOCK, task["id"])
        db.set_property(conn, image_id, importer.IMPORTING, ",".join(targets))
        db.set_property(conn, image_id, importer.FAILED, "")
        if method != "copy-image" and not db.transition(
                conn, image_id, [image["status"]], "importing"):
            raise errors.Conflict("The image changed while the import was being set up.")
        job = importer.Job(task_id=task["id"], image_id=image_id, method=method,
                           stores=targets, all_must_succeed=must_succeed, uri=uri,
                           previous_status=image["status"])
        after_commit(conn, lambda: importer.submit(svc, job))
    return empty_response(202)


def _echo(method: str, uri: str | None, stores: list[str] | None, all_stores: bool,
          must_succeed: bool) -> dict[str, Any]:
    request: dict[str, Any] = {"method": {"name": method}}
    if uri is not None:
        request["method"]["uri"] = uri
    if stores:
        request["stores"] = stores
    if all_stores:
        request["all_stores"] = True
    request["all_stores_must_succeed"] = must_succeed
    return request


def delete_from_store(req: Request) -> Response:
    svc = common.image_service(req)
    store_id = req.path_params["store_id"]
    image_id = req.path_params["image_id"]
    try:
        store = svc.stores.get(store_id)
    except StoreError:
        store = None
    if store is None or store is svc.stores.staging:
        raise errors.Conflict(f"The selected store {store_id} is not available on this node.")
    with svc.db.writer() as conn:
        image = common.load_image(conn, req, image_id)
        common.authorize(req, "get_image_location", image)
        common.authorize(req, "delete_image_location", image)
        if image["status"] != "active":
            raise errors.Conflict("It's not allowed to remove image data from store if "
                                  "image status is not 'active'")
        places = db.locations(conn, image_id)
        mine = [loc for loc in places if loc["store"] == store_id]
        if len(places) == 1 and mine:
            raise errors.Forbidden("Cannot delete image data from the only store containing "
                                   "it. Consider deleting the image instead.")
        if not mine:
            raise errors.NotFound(f"Image {image_id} is not stored in store {store_id}.")
        db.remove_location(conn, image_id, store_id)
        url = mine[0]["url"]
        after_commit(conn, lambda: store.delete(url))
    return empty_response(204)
