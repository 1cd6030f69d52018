"""Discovery: GET /v2/info/import, /v2/info/stores(/detail), /v2/info/usage."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api.app import Request, json_response
from nimbus.image import quotas
from nimbus.image.api import common
from nimbus.image.db import images as db


def import_info(req: Request) -> Response:
    svc = common.image_service(req)
    return json_response({"import-methods": {
        "description": "Import methods available.", "type": "array",
        "value": list(svc.conf.image.enabled_import_methods)}})


def stores_info(req: Request) -> Response:
    svc = common.image_service(req)
    return json_response({"stores": [store.info() for store in svc.stores.all()]})


def stores_detail(req: Request) -> Response:
    svc = common.image_service(req)
    req.context.can("stores_info_detail", {"project_id": req.context.project_id})
    stores = []
    for store in svc.stores.all():
        entry = store.info()
        entry["type"] = store.type
        entry["weight"] = 0
        entry["properties"] = store.properties() if hasattr(store, "properties") else {}
        stores.append(entry)
    return json_response({"stores": stores})


def usage(req: Request) -> Response:
    svc = common.image_service(req)
    owner = req.context.project_id or ""
    conf = svc.conf.image
    with svc.db.reader() as conn:
        figures = {
            "image_size_total": (conf.image_size_total, db.storage_usage(conn, owner)
                                 // quotas.MiB),
            "image_stage_total": (conf.image_stage_total, db.staging_usage(conn, owner)
                                  // quotas.MiB),
            "image_count_total": (conf.image_count_total, db.count_owned(conn, owner)),
            "image_count_uploading": (conf.image_count_uploading,
                                      db.uploading_count(conn, owner)),
        }
    return json_response({"usage": {
        name: {"limit": limit, "usage": used} for name, (limit, used) in figures.items()}})
