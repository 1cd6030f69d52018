"""The server side of the conductor: builds (builds.py), and the database on the agents' behalf.

A conductor with the API database and the cell mappings plays the "super"
conductor (builds, moves); one with a cell database plays that cell's
conductor (the agents' writes). The all-in-one runs one conductor that
does both. Moves live beside this module (resize.py, live.py, evacuate.py).
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from oslo_config import cfg

from nimbus.common.context import RequestContext
from nimbus.common.db import Database
from nimbus.common.messaging import oslo_messaging
from nimbus.compute import exceptions as exc
from nimbus.compute.cells import Cells
from nimbus.compute.conductor.builds import DATETIMES, BuildsMixin
from nimbus.compute.conductor.evacuate import EvacuateMixin
from nimbus.compute.conductor.image_tasks import ImageTasksMixin
from nimbus.compute.conductor.live import LiveMigrationMixin
from nimbus.compute.conductor.resize import ResizeMixin
from nimbus.compute.conductor.rpcapi import ConductorAPI
from nimbus.compute.db import build_requests, mappings, server_groups
from nimbus.compute.db.cell import actions, compute_nodes, services
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.image import ImageClient
from nimbus.compute.objects.convert import to_object
from nimbus.compute.objects.instance import Instance
from nimbus.compute.placement import PlacementClient
from nimbus.compute.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)


def from_wire(values: dict[str, Any]) -> dict[str, Any]:
    """Values an agent sent: ISO timestamps back to datetimes."""
    out = dict(values)
    for key in DATETIMES & out.keys():
        if isinstance(out[key], str):
            out[key] = datetime.datetime.fromisoformat(out[key])
    return out


class ConductorManager(BuildsMixin, ResizeMixin, LiveMigrationMixin, EvacuateMixin,
                       ImageTasksMixin):
    target = oslo_messaging.Target(version=ConductorAPI.version())

    def __init__(self, *, conf: cfg.ConfigOpts, host: str, api_db: Database | None,
                 cells: Cells | None, cell_db: Database | None,
                 scheduler: SchedulerAPI | None, placement: PlacementClient | None,
                 compute_api: Any, default_availability_zone: str,
                 service_down_time: int = 60,
                 images: ImageClient | None = None) -> None:
        """`compute_api(cell)` gives the agents' RPC client of a cell."""
        self.conf = conf
        self.host = host
        self.down_time = service_down_time
        self.api_db = api_db
        self.cells = cells
        self.cell_db = cell_db
        self.scheduler = scheduler
        self.placement = placement
        self.compute_api = compute_api
        self.default_az = default_availability_zone
        self.images = images

    def ping(self, ctxt: RequestContext) -> str:
        return "pong"

    # --- the agents' database --------------------------------------------------------

    def _cell_db(self) -> Database:
        if self.cell_db is None:
            raise exc.ServiceUnavailable(detail="this conductor serves no cell")
        return self.cell_db

    def instance_get(self, ctxt: RequestContext, instance_uuid: str) -> Instance:
        with self._cell_db().reader() as conn:
            return to_object(cell_instances.get(conn, instance_uuid))

    def instance_update(self, ctxt: RequestContext, instance_uuid: str, values: dict[str, Any],
                        expected_task_state: list[str | None] | None = None,
                        expected_vm_state: list[str] | None = None) -> Instance:
        with self._cell_db().writer() as conn:
            record = cell_instances.update(conn, instance_uuid, from_wire(values),
                                           expected_task_state, expected_vm_state)
        return to_object(record)

    def instance_destroy(self, ctxt: RequestContext, instance_uuid: str) -> None:
        with self._cell_db().writer() as conn:
            cell_instances.destroy(conn, instance_uuid)
        if self.api_db is not None:
            with self.api_db.writer() as conn:
                mappings.update_instance_mapping(conn, instance_uuid, queued_for_delete=True)
                build_requests.delete_spec(conn, instance_uuid)
                # A soft-deleted server kept its groups until it was reclaimed.
                server_groups.remove_member(conn, instance_uuid)

    def instances_on_host(self, ctxt: RequestContext, host: str) -> list[Instance]:
        with self._cell_db().reader() as conn:
            return [to_object(r) for r in cell_instances.on_host(conn, host,
                                                                 cell_instances.ALL)]

    def instances_get_deleted(self, ctxt: RequestContext,
                              instance_uuids: list[str]) -> list[Instance]:
        """The instances of `instance_uuids` this cell has deleted (its agents
        reap what their drivers still run and free what placement still holds)."""
        with self._cell_db().reader() as conn:
            found = cell_instances.get_many(conn, instance_uuids, read_deleted="only",
                                            extras=cell_instances.NONE)
        return [to_object(r) for r in found]

    def instance_action_start(self, ctxt: RequestContext, instance_uuid: str,
                              action: str) -> None:
        """An action an agent starts on its own (the power state sync's stop)."""
        with self._cell_db().writer() as conn:
            actions.start(conn, instance_uuid, action, ctxt.request_id, ctxt.user_id,
                          ctxt.project_id)

    def instance_group_get(self, ctxt: RequestContext, group_uuid: str) -> dict[str, Any] | None:
        """A server group as the agents' last policy check needs it: policy,
        rules, members, and the host of each member in this cell. None when
        the group is gone or this conductor has no API database (the check
        is then skipped, as Nova's disable_group_policy_check_upcall)."""
        if self.api_db is None:
            LOG.debug("No API database: server group %s not checked", group_uuid)
            return None
        with self.api_db.reader() as conn:
            try:
                group = server_groups.get(conn, group_uuid)
            except exc.ServerGroupNotFound:
                return None
        with self._cell_db().reader() as conn:
            hosts = cell_instances.hosts_of(conn, group["members"])
        return {"uuid": group["uuid"], "policy": group["policy"],
                "rules": dict(group["rules"] or {}), "members": list(group["members"]),
                "member_hosts": hosts}

    def instance_fault_create(self, ctxt: RequestContext, instance_uuid: str, code: int,
                              message: str, details: str | None, host: str | None) -> None:
        with self._cell_db().writer() as conn:
            cell_instances.add_fault(conn, instance_uuid, code, message, details, host)

    def action_event_start(self, ctxt: RequestContext, instance_uuid: str, event: str,
                           host: str | None) -> None:
        with self._cell_db().writer() as conn:
            actions.event_start(conn, instance_uuid, ctxt.request_id, event, host)

    def action_event_finish(self, ctxt: RequestContext, instance_uuid: str, event: str,
                            result: str, traceback: str | None = None) -> None:
        with self._cell_db().writer() as conn:
            actions.event_finish(conn, instance_uuid, ctxt.request_id, event, result,
                                 traceback)

    def service_register(self, ctxt: RequestContext, host: str, binary: str, topic: str,
                         version: int) -> dict[str, Any]:
        with self._cell_db().writer() as conn:
            service = services.register(conn, host, binary, topic, version)
        return {"id": service.id, "uuid": service.uuid, "disabled": service.disabled}

    def service_heartbeat(self, ctxt: RequestContext, service_id: int) -> dict[str, Any]:
        with self._cell_db().writer() as conn:
            services.heartbeat(conn, service_id)
            service = services.get_by_id(conn, service_id)
        return {"id": service.id, "disabled": service.disabled,
                "forced_down": service.forced_down}

    def compute_node_update(self, ctxt: RequestContext, host: str, nodename: str,
                            service_id: int, values: dict[str, Any]) -> dict[str, Any]:
        with self._cell_db().writer() as conn:
            node = compute_nodes.upsert(conn, host, nodename, service_id, values,
                                        node_uuid=values.get("uuid"))
        return {"uuid": node.uuid, "id": node.id, "host": node.host,
                "hypervisor_hostname": node.hypervisor_hostname}
