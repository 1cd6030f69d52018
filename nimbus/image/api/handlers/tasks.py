"""Tasks: GET /v2/tasks(/{id}) and GET /v2/images/{id}/tasks (2.12).

Every import records a task (type ``api_image_import``) that says how it
went. Creating tasks directly (Glance's deprecated ``import`` task type) is
refused: the interoperable import replaces it.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, json_response
from nimbus.image.api import common
from nimbus.image.api.views import isotime
from nimbus.image.db import tasks as db

SORT_KEYS = ("created_at", "updated_at", "id", "type", "status", "owner", "expires_at")
STATUSES = ("pending", "processing", "success", "failure")


def task_view(task: dict[str, Any], with_input: bool = True) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": task["id"], "type": task["type"], "status": task["status"],
        "owner": task["owner"], "expires_at": isotime(task["expires_at"]),
        "created_at": isotime(task["created_at"]), "updated_at": isotime(task["updated_at"]),
        "image_id": task["image_id"], "request_id": task["request_id"],
        "user_id": task["user_id"], "self": f"/v2/tasks/{task['id']}",
        "schema": "/v2/schemas/task",
    }
    if with_input:
        view["input"] = task["input"]
        view["result"] = task["result"]
        view["message"] = task["message"]
    return view


def _access(req: Request, rule: str) -> None:
    target = {"project_id": req.context.project_id}
    req.context.can("tasks_api_access", target)
    req.context.can(rule, target)


def image_tasks(req: Request) -> Response:
    svc = common.image_service(req)
    image_id = req.path_params["image_id"]
    with svc.db.reader() as conn:
        image = common.load_image(conn, req, image_id)
        common.authorize(req, "get_image", image)
        tasks = db.for_image(conn, image_id)
    return json_response({"tasks": [task_view(task) for task in tasks]})


def show_task(req: Request) -> Response:
    _access(req, "get_task")
    svc = common.image_service(req)
    task_id = req.path_params["task_id"]
    with svc.db.reader() as conn:
        task = db.get(conn, task_id)
    if task is None or (not common.is_admin(req) and task["owner"] != req.context.project_id):
        raise errors.NotFound(f"Failed to find task {task_id}")
    return json_response(task_view(task))


def list_tasks(req: Request) -> Response:
    _access(req, "get_tasks")
    svc = common.image_service(req)
    query = req.query
    sort_key = query.get("sort_key", "created_at")
    sort_dir = query.get("sort_dir", "desc")
    if sort_key not in SORT_KEYS:
        raise errors.BadRequest(f"Invalid sort key: {sort_key}.")
    if sort_dir not in ("asc", "desc"):
        raise errors.BadRequest(f"Invalid sort direction: {sort_dir}.")
    status = query.get("status")
    if status is not None and status not in STATUSES:
        raise errors.BadRequest(f"Invalid status value: {status}.")
    try:
        limit = int(query.get("limit", "25"))
    except ValueError:
        raise errors.BadRequest("limit param must be an integer") from None
    if limit < 0:
        raise errors.BadRequest("limit param must be positive")
    owner = None if common.is_admin(req) else req.context.project_id
    with svc.db.reader() as conn:
        marker = None
        if "marker" in query:
            marker = db.get(conn, query["marker"])
            if marker is None or (owner is not None and marker["owner"] != owner):
                raise errors.BadRequest(f"Invalid marker. Task {query['marker']} could "
                                        "not be found.")
        tasks = db.list_(conn, owner=owner, status=status, type=query.get("type"),
                         limit=limit, marker=marker, sort_key=sort_key, sort_dir=sort_dir)
    body: dict[str, Any] = {"tasks": [task_view(t, with_input=False) for t in tasks],
                            "first": "/v2/tasks", "schema": "/v2/schemas/tasks"}
    if tasks and len(tasks) == limit:
        body["next"] = f"/v2/tasks?marker={tasks[-1]['id']}&limit={limit}"
    return json_response(body)


def create_task(req: Request) -> Response:
    _access(req, "add_task")
    raise errors.BadRequest("Creating tasks directly is not supported: import image data "
                            "with POST /v2/images/{image_id}/import.")
