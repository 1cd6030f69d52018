"""External events (POST /os-server-external-events): each event judged on
its own, the accepted ones sent to the hosts of their servers.

An event answers 404 when its server is unknown, 400 when it needs a tag
and has none, 422 when its server is on no host, 200 when it was sent on;
the request answers 207 unless all of them are 200. Volume extensions and
power updates are recorded as instance actions first, as Nova does.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from nimbus.common.context import RequestContext
from nimbus.compute.db import mappings
from nimbus.compute.db.cell import actions
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.db.cell.instances import InstanceRecord
from nimbus.compute.objects.convert import to_object

if TYPE_CHECKING:
    from nimbus.compute.service import Compute

TAG_REQUIRED = ("volume-extended", "power-update", "accelerator-request-bound")
# power-update's tag -> the instance action it records.
POWER_ACTIONS = {"POWER_ON": "start", "POWER_OFF": "stop"}


def _servers(compute: Compute, uuids: set[str]) -> dict[str, InstanceRecord]:
    """The live servers among `uuids`, from every cell that has some."""
    with compute.api_db.reader() as conn:
        found = mappings.instance_mappings_for(conn, uuids)
    by_cell: dict[str, list[str]] = defaultdict(list)
    for mapping in found:
        if mapping.cell_uuid:
            by_cell[mapping.cell_uuid].append(mapping.instance_uuid)
    servers: dict[str, InstanceRecord] = {}
    for cell_uuid, wanted in by_cell.items():
        with compute.cells.db(cell_uuid).reader() as conn:
            for record in cell_instances.get_many(conn, wanted):
                record.cell_uuid = cell_uuid
                servers[record.uuid] = record
    return servers


def _judge(event: dict[str, Any], server: InstanceRecord | None) -> int:
    if server is None:
        return 404
    if event["name"] in TAG_REQUIRED and event.get("tag") is None:
        return 400
    return 200 if server.host else 422


def dispatch(compute: Compute, ctx: RequestContext,
             events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The events as answered (with status and code), and the status of the answer."""
    servers = _servers(compute, {e["server_uuid"] for e in events})
    answered: list[dict[str, Any]] = []
    accepted: list[tuple[dict[str, Any], InstanceRecord]] = []
    for event in events:
        server = servers.get(event["server_uuid"])
        code = _judge(event, server)
        answered.append({**event, "status": "completed" if code == 200 else "failed",
                         "code": code})
        if code == 200 and server is not None:
            accepted.append((event, server))
    _send(compute, ctx, accepted)
    return answered, 200 if all(e["code"] == 200 for e in answered) else 207


def _send(compute: Compute, ctx: RequestContext,
          accepted: list[tuple[dict[str, Any], InstanceRecord]]) -> None:
    by_host: dict[tuple[str, str], list[tuple[dict[str, Any], InstanceRecord]]] = \
        defaultdict(list)
    for event, server in accepted:
        action = ("extend_volume" if event["name"] == "volume-extended" else
                  POWER_ACTIONS.get(event.get("tag") or "") if event["name"] == "power-update"
                  else None)
        if event["name"] == "power-update" and action is None:
            continue  # neither POWER_ON nor POWER_OFF: Nova skips it
        if action is not None:
            with compute.cells.db(server.cell_uuid or "").writer() as conn:
                actions.start(conn, server.uuid, action, ctx.request_id, ctx.user_id,
                              ctx.project_id)
        by_host[(server.cell_uuid or "", server.host or "")].append((event, server))
    for (cell_uuid, host), items in by_host.items():
        instances = {s.uuid: s for _e, s in items}
        compute.compute_api(compute.cells.get(cell_uuid)).external_instance_event(
            ctx, host, [to_object(s) for s in instances.values()], [e for e, _s in items])
