"""Instance actions and their events as Nova shows them, per microversion.

Times are Nova's for these bodies: microseconds, no zone. Which event
fields a caller sees depends on policy (tracebacks, hosts and details are
an admin's by default) and on the microversion (hostId and host from 2.62,
details from 2.84).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nimbus.compute.api.views.servers import host_id, usage_time

ACTION_KEYS = ("action", "instance_uuid", "request_id", "user_id", "project_id",
               "start_time", "message")


def action(row: dict[str, Any], with_updated_at: bool) -> dict[str, Any]:
    body = {key: row.get(key) for key in ACTION_KEYS}
    body["start_time"] = usage_time(row["start_time"])
    if with_updated_at:
        body["updated_at"] = usage_time(row.get("updated_at"))
    return body


@dataclass(frozen=True)
class EventView:
    """What of an event the caller may see."""

    traceback: bool = False
    host: bool = False
    host_id: bool = False
    details: bool = False


def event(row: dict[str, Any], project_id: str, view: EventView) -> dict[str, Any]:
    body: dict[str, Any] = {"event": row["event"], "start_time": usage_time(row["start_time"]),
                            "finish_time": usage_time(row.get("finish_time")),
                            "result": row.get("result")}
    if view.traceback:
        body["traceback"] = row.get("traceback")
    if view.host:
        body["host"] = row.get("host")
    if view.host_id:
        body["hostId"] = host_id(project_id, row.get("host"))
    if view.details:
        body["details"] = row.get("details")
    return body
