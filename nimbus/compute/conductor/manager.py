"""The server side of the conductor: builds, reschedules, and the database on the agents' behalf.

A conductor with the API database and the cell mappings plays the "super"
conductor (builds, moves); one with a cell database plays that cell's
conductor (the agents' writes). The all-in-one runs one conductor that
does both. Moves live beside this module (resize.py, live.py, evacuate.py).
"""

from __future__ import annotations

import datetime
import logging
import traceback
from typing import Any

import orjson

from nimbus.common.context import RequestContext
from nimbus.common.db import Database
from nimbus.common.messaging import oslo_messaging
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.cells import Cells
from nimbus.compute.conductor.evacuate import EvacuateMixin
from nimbus.compute.conductor.live import LiveMigrationMixin
from nimbus.compute.conductor.resize import ResizeMixin
from nimbus.compute.conductor.rpcapi import ConductorAPI
from nimbus.compute.db import build_requests, mappings, server_groups
from nimbus.compute.db.cell import actions, compute_nodes, services
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.db.mappings import CellMapping
from nimbus.compute.objects.convert import to_object
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection
from nimbus.compute.placement import PlacementClient
from nimbus.compute.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)

_DATETIMES = frozenset({"launched_at", "terminated_at", "created_at", "updated_at",
                        "deleted_at"})


def from_wire(values: dict[str, Any]) -> dict[str, Any]:
    """Values an agent sent: ISO timestamps back to datetimes."""
    out = dict(values)
    for key in _DATETIMES & out.keys():
        if isinstance(out[key], str):
            out[key] = datetime.datetime.fromisoformat(out[key])
    return out


class ConductorManager(ResizeMixin, LiveMigrationMixin, EvacuateMixin):
    target = oslo_messaging.Target(version=ConductorAPI.version())

    def __init__(self, *, host: str, api_db: Database | None, cells: Cells | None,
                 cell_db: Database | None, scheduler: SchedulerAPI | None,
                 placement: PlacementClient | None,
                 compute_api: Any, default_availability_zone: str,
                 service_down_time: int = 60) -> None:
        """`compute_api(cell)` gives the agents' RPC client of a cell."""
        self.host = host
        self.down_time = service_down_time
        self.api_db = api_db
        self.cells = cells
        self.cell_db = cell_db
        self.scheduler = scheduler
        self.placement = placement
        self.compute_api = compute_api
        self.default_az = default_availability_zone

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

    # --- builds ------------------------------------------------------------------------

    def _require_super(self) -> tuple[Database, Cells, SchedulerAPI, PlacementClient]:
        if None in (self.api_db, self.cells, self.scheduler, self.placement):
            raise exc.ServiceUnavailable(detail="this conductor cannot build: it has no "
                                         "API database")
        return self.api_db, self.cells, self.scheduler, self.placement  # type: ignore[return-value]

    def schedule_and_build_instances(self, ctxt: RequestContext, specs: list[RequestSpec],
                                     image: ImageMeta, admin_password: str | None,
                                     injected_files: list[tuple[str, str]],
                                     requested_networks: Any) -> None:
        """Schedule every instance of one create request, create each in its
        cell and cast its build to its host; bury what cannot be placed in cell0."""
        _api_db, _cells, scheduler, _placement = self._require_super()
        uuids = [s.instance_uuid for s in specs]
        try:
            host_lists = scheduler.select_destinations(ctxt, specs[0], uuids)
        except exc.NoValidHost as err:
            LOG.info("No valid host for %s: %s", uuids, err)
            for spec in specs:
                self._bury_in_cell0(ctxt, spec, str(err))
            return
        except Exception as err:
            LOG.exception("Scheduling %s failed", uuids)
            for spec in specs:
                self._bury_in_cell0(ctxt, spec, f"Scheduling failed: {err}")
            return
        for spec, host_list in zip(specs, host_lists, strict=True):
            try:
                self._build_one(ctxt, spec, host_list, image, admin_password, injected_files,
                                requested_networks)
            except Exception:
                LOG.exception("Building %s failed", spec.instance_uuid)
                self._release(spec.instance_uuid)

    def _build_one(self, ctxt: RequestContext, spec: RequestSpec, host_list: list[Selection],
                   image: ImageMeta, admin_password: str | None,
                   injected_files: list[tuple[str, str]], requested_networks: Any) -> None:
        api_db, cells, _scheduler, _placement = self._require_super()
        chosen = host_list[0]
        cell = cells.get(chosen.cell_uuid)
        with api_db.reader() as conn:
            try:
                request = build_requests.get(conn, spec.instance_uuid)
            except exc.BuildRequestNotFound:
                request = None
        if request is None:
            # Deleted while it was being scheduled: give back what was claimed.
            LOG.info("Instance %s was deleted before it reached a cell", spec.instance_uuid)
            self._release(spec.instance_uuid)
            return
        instance = Instance.from_dict(request["instance"])
        values = self._cell_values(instance, request, chosen)
        cell_db = cells.db(cell)
        with cell_db.writer() as conn:
            record = cell_instances.create(conn, values)
            actions.start(conn, record.uuid, "create", ctxt.request_id, ctxt.user_id,
                          ctxt.project_id, when=request["created_at"])
        with api_db.writer() as conn:
            mappings.set_instance_cell(conn, record.uuid, cell)
            still_wanted = build_requests.delete(conn, record.uuid)
        if not still_wanted:
            LOG.info("Instance %s was deleted while it was created in %s", record.uuid,
                     cell.name)
            with cell_db.writer() as conn:
                cell_instances.destroy(conn, record.uuid)
            self._release(record.uuid)
            return
        self.compute_api(cell).build_and_run_instance(
            ctxt, chosen.service_host, to_object(record), image, spec, admin_password,
            injected_files, requested_networks, chosen.nodename, host_list[1:])

    def _cell_values(self, instance: Instance, request: dict[str, Any],
                     chosen: Selection) -> dict[str, Any]:
        values = instance.to_dict()
        values.update(
            host=chosen.service_host, node=chosen.nodename, launched_on=chosen.service_host,
            availability_zone=instance.availability_zone or self.default_az,
            vm_state=states.BUILDING, task_state=states.SCHEDULING,
            created_at=request["created_at"], tags=request["tags"])
        for key in _DATETIMES & values.keys():
            if isinstance(values[key], str):
                values[key] = datetime.datetime.fromisoformat(values[key])
        values.pop("id", None)
        return values

    def _release(self, instance_uuid: str) -> None:
        """Give back an instance's allocations (idempotent)."""
        _api_db, _cells, _scheduler, placement = self._require_super()
        try:
            placement.delete_allocations(instance_uuid)
        except Exception:
            LOG.exception("Could not delete the allocations of %s", instance_uuid)

    def _bury_in_cell0(self, ctxt: RequestContext, spec: RequestSpec, reason: str) -> None:
        """An instance no host could take: in cell0, in ERROR, with a fault."""
        api_db, cells, _scheduler, _placement = self._require_super()
        cell0 = cells.cell0()
        with api_db.reader() as conn:
            try:
                request = build_requests.get(conn, spec.instance_uuid)
            except exc.BuildRequestNotFound:
                return  # deleted meanwhile: nothing to bury
        instance = Instance.from_dict(request["instance"])
        values = instance.to_dict()
        values.update(vm_state=states.ERROR, task_state=None, created_at=request["created_at"],
                      tags=request["tags"], availability_zone=instance.availability_zone)
        for key in _DATETIMES & values.keys():
            if isinstance(values[key], str):
                values[key] = datetime.datetime.fromisoformat(values[key])
        values.pop("id", None)
        with cells.db(cell0).writer() as conn:
            cell_instances.create(conn, values)
            actions.start(conn, spec.instance_uuid, "create", ctxt.request_id, ctxt.user_id,
                          ctxt.project_id, when=request["created_at"])
            actions.finish(conn, spec.instance_uuid, ctxt.request_id, message="Error")
            cell_instances.add_fault(conn, spec.instance_uuid, 500, reason[:255],
                                     traceback.format_exc() if reason else None, None)
        with api_db.writer() as conn:
            mappings.set_instance_cell(conn, spec.instance_uuid, cell0)
            build_requests.delete(conn, spec.instance_uuid)

    def build_instances(self, ctxt: RequestContext, instance: Instance, spec: RequestSpec,
                        image: ImageMeta, admin_password: str | None,
                        injected_files: list[tuple[str, str]], requested_networks: Any,
                        host_list: list[Selection]) -> None:
        """A reschedule: claim the first alternate that still fits and send the
        build there; with none left, the instance goes to ERROR."""
        _api_db, cells, _scheduler, placement = self._require_super()
        for index, alternate in enumerate(host_list):
            request = orjson.loads(alternate.allocation_request or "{}")
            if request and not placement.claim(instance.uuid, request, instance.project_id,
                                               instance.user_id):
                continue
            cell = cells.get(alternate.cell_uuid)
            with cells.db(cell).writer() as conn:
                record = cell_instances.update(
                    conn, instance.uuid, {"host": alternate.service_host,
                                          "node": alternate.nodename,
                                          "launched_on": alternate.service_host,
                                          "task_state": states.SCHEDULING},
                    expected_task_state=[states.SCHEDULING, states.SPAWNING, None])
            LOG.info("Rescheduling %s to %s", instance.uuid, alternate.service_host)
            self.compute_api(cell).build_and_run_instance(
                ctxt, alternate.service_host, to_object(record), image, spec, admin_password,
                injected_files, requested_networks, alternate.nodename, host_list[index + 1:])
            return
        self._fail_build(ctxt, instance, "Exceeded maximum number of retries. No valid host "
                         "was found.")

    def _fail_build(self, ctxt: RequestContext, instance: Instance, message: str) -> None:
        _api_db, cells, _scheduler, _placement = self._require_super()
        cell = self._cell_of(instance.uuid)
        with cells.db(cell).writer() as conn:
            cell_instances.update(conn, instance.uuid, {"vm_state": states.ERROR,
                                                        "task_state": None})
            cell_instances.add_fault(conn, instance.uuid, 500, message, None, None)
            actions.finish(conn, instance.uuid, ctxt.request_id, message="Error")
        self._release(instance.uuid)

    def _cell_of(self, instance_uuid: str) -> CellMapping:
        _api_db, cells, _scheduler, _placement = self._require_super()
        cell = cells.for_instance(instance_uuid)
        if cell is None:
            raise exc.InstanceNotFound(instance_id=instance_uuid)
        return cell
