"""The conductor's builds: schedule, create in the cell, recheck quotas, cast
to the agents; reschedule to alternates; bury what cannot be placed in cell0.

Every way a build can fail ends in a final state with nothing claimed in
placement: an instance no host takes is created in cell0 in ERROR with a
fault (Nova's message; its details say which filter removed how many
hosts, or what placement said); one over a quota lowered meanwhile goes to
ERROR in its cell; one whose every alternate failed goes to ERROR with
Nova's "Exceeded maximum number of retries" fault.
"""

from __future__ import annotations

import datetime
import logging
import traceback
from typing import Any

import orjson

from nimbus.common.context import RequestContext
from nimbus.common.db import Database
from nimbus.compute import exceptions as exc
from nimbus.compute import quotas, states
from nimbus.compute.cells import Cells
from nimbus.compute.db import build_requests, mappings
from nimbus.compute.db.cell import actions
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.db.cell.instances import InstanceRecord
from nimbus.compute.db.mappings import CellMapping
from nimbus.compute.objects.convert import to_object
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection
from nimbus.compute.placement import PlacementClient
from nimbus.compute.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)

DATETIMES = frozenset({"launched_at", "terminated_at", "created_at", "updated_at",
                       "deleted_at"})


def fault_of(error: BaseException) -> tuple[int, str, str]:
    """(code, message, details) of the fault an error leaves, as Nova's
    exception_to_dict: our errors' own message, any other's class name (it
    may hold what users must not see); details are the traceback unless the
    error carries better ones (NoValidHost: the filter results)."""
    code = 500
    trace = traceback.format_exc()
    if trace.strip() == "NoneType: None":  # made, not raised
        trace = ""
    if isinstance(error, exc.ComputeError):
        message = str(error)
        code = int(error.kwargs.get("code", 500))
        details = error.kwargs.get("details") or trace or message
    else:
        # An error from another service that is not ours arrives as a
        # RemoteError: name the error it was.
        message = str(getattr(error, "exc_type", None) or type(error).__name__)
        details = trace or message
    return code, message[:255], str(details)


def cell_values(instance: Instance, request: dict[str, Any],
                **changes: Any) -> dict[str, Any]:
    """The row of a build request's instance in a cell."""
    values = instance.to_dict()
    values.update(created_at=request["created_at"], tags=request["tags"], **changes)
    for key in DATETIMES & values.keys():
        if isinstance(values[key], str):
            values[key] = datetime.datetime.fromisoformat(values[key])
    values.pop("id", None)
    return values


class BuildsMixin:
    """Needs the "super" conductor's API database, cells, scheduler and placement."""

    conf: Any
    api_db: Database | None
    cells: Cells | None
    scheduler: SchedulerAPI | None
    placement: PlacementClient | None
    compute_api: Any
    default_az: str

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
        cell, recheck the quota, and cast each build to its host."""
        _api_db, _cells, scheduler, _placement = self._require_super()
        uuids = [s.instance_uuid for s in specs]
        try:
            host_lists = scheduler.select_destinations(ctxt, specs[0], uuids)
        except Exception as err:
            if isinstance(err, exc.NoValidHost):
                LOG.info("No valid host for %s: %s", uuids, err.kwargs.get("details") or err)
            else:
                LOG.exception("Scheduling %s failed", uuids)
            fault = fault_of(err)
            for spec in specs:
                self._bury_in_cell0(ctxt, spec, fault)
            return
        created: list[tuple[RequestSpec, list[Selection], InstanceRecord, CellMapping]] = []
        for spec, host_list in zip(specs, host_lists, strict=True):
            try:
                found = self._create_in_cell(ctxt, spec, host_list[0])
            except Exception:
                LOG.exception("Creating %s in its cell failed", spec.instance_uuid)
                self._release(spec.instance_uuid)
                continue
            if found is not None:
                created.append((spec, host_list, *found))
        if created and not self._quota_still_holds(ctxt, specs[0], created):
            return
        for spec, host_list, record, cell in created:
            spec.num_attempts = 1 if self._retries_allowed(spec) else 0
            try:
                self.compute_api(cell).build_and_run_instance(
                    ctxt, host_list[0].service_host, to_object(record), image, spec,
                    admin_password, injected_files, requested_networks,
                    host_list[0].nodename, host_list[1:])
            except Exception as err:
                LOG.exception("Casting the build of %s failed", spec.instance_uuid)
                self._fail(ctxt, record.uuid, cell, fault_of(err))

    def _retries_allowed(self, spec: RequestSpec) -> bool:
        """Nova's populate_retry: no retries with one attempt or a forced host."""
        if int(self.conf.scheduler.max_attempts) <= 1:
            return False
        return not (len(spec.force_hosts) == 1 or len(spec.force_nodes) == 1)

    def _create_in_cell(self, ctxt: RequestContext, spec: RequestSpec,
                        chosen: Selection) -> tuple[InstanceRecord, CellMapping] | None:
        """The instance in the chosen host's cell, its build request gone;
        None (and its claim given back) when it was deleted meanwhile."""
        api_db, cells, _scheduler, _placement = self._require_super()
        cell = cells.get(chosen.cell_uuid)
        with api_db.reader() as conn:
            try:
                request = build_requests.get(conn, spec.instance_uuid)
            except exc.BuildRequestNotFound:
                request = None
        if request is None:
            LOG.info("Instance %s was deleted before it reached a cell", spec.instance_uuid)
            self._release(spec.instance_uuid)
            return None
        instance = Instance.from_dict(request["instance"])
        values = cell_values(instance, request, host=chosen.service_host,
                             node=chosen.nodename, launched_on=chosen.service_host,
                             availability_zone=instance.availability_zone or self.default_az,
                             vm_state=states.BUILDING, task_state=states.SCHEDULING)
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
            return None
        return record, cell

    def _quota_still_holds(self, ctxt: RequestContext, spec: RequestSpec,
                           created: list[tuple[RequestSpec, list[Selection], InstanceRecord,
                                               CellMapping]]) -> bool:
        """[quota] recheck_quota: count again now that the instances exist;
        over a limit (lowered meanwhile, or raced past), every instance of
        the request goes to ERROR with Nova's quota fault and no claim."""
        api_db, _cells, _scheduler, _placement = self._require_super()
        if not self.conf.quota.recheck_quota:
            return True
        flavor = spec.flavor
        count = len(created)
        requested = {"instances": count, "cores": count * flavor.vcpus,
                     "ram": count * flavor.memory_mb}
        problem = quotas.recheck_instances(self.conf, api_db, spec.project_id, spec.user_id,
                                           requested)
        if problem is None:
            return True
        LOG.info("Quota recheck failed for %s: %s", [c[2].uuid for c in created],
                 problem.message())
        # Nova's TooManyInstances is an over-quota error: code 413.
        fault = (413, problem.message()[:255], problem.message())
        for _spec, _host_list, record, cell in created:
            self._fail(ctxt, record.uuid, cell, fault)
        return False

    def _release(self, instance_uuid: str) -> None:
        """Give back an instance's allocations (idempotent)."""
        _api_db, _cells, _scheduler, placement = self._require_super()
        try:
            placement.delete_allocations(instance_uuid)
        except Exception:
            LOG.exception("Could not delete the allocations of %s", instance_uuid)

    def _fail(self, ctxt: RequestContext, instance_uuid: str, cell: CellMapping,
              fault: tuple[int, str, str]) -> None:
        """An instance in a cell that will not be built: ERROR, on no host,
        with a fault, its create action finished, nothing claimed."""
        _api_db, cells, _scheduler, _placement = self._require_super()
        code, message, details = fault
        with cells.db(cell).writer() as conn:  # one transaction: ERROR with its fault
            try:
                cell_instances.update(conn, instance_uuid, {
                    "vm_state": states.ERROR, "task_state": None, "host": None,
                    "node": None})
            except exc.InstanceNotFound:
                LOG.info("Instance %s was deleted before its failure was recorded",
                         instance_uuid)
            else:
                cell_instances.add_fault(conn, instance_uuid, code, message, details, None)
                try:
                    actions.finish(conn, instance_uuid, ctxt.request_id, message="Error")
                except exc.InstanceActionNotFound:
                    LOG.debug("No action of %s to finish", instance_uuid)
        self._release(instance_uuid)

    def _bury_in_cell0(self, ctxt: RequestContext, spec: RequestSpec,
                       fault: tuple[int, str, str]) -> None:
        """An instance no host could take: in cell0, in ERROR, with a fault,
        and whatever the scheduler may have claimed for it given back."""
        api_db, cells, _scheduler, _placement = self._require_super()
        self._release(spec.instance_uuid)
        cell0 = cells.cell0()
        with api_db.reader() as conn:
            try:
                request = build_requests.get(conn, spec.instance_uuid)
            except exc.BuildRequestNotFound:
                return  # deleted meanwhile: nothing to bury
        instance = Instance.from_dict(request["instance"])
        values = cell_values(instance, request, vm_state=states.ERROR, task_state=None,
                             availability_zone=instance.availability_zone)
        code, message, details = fault
        with cells.db(cell0).writer() as conn:
            cell_instances.create(conn, values)
            actions.start(conn, spec.instance_uuid, "create", ctxt.request_id, ctxt.user_id,
                          ctxt.project_id, when=request["created_at"])
            actions.finish(conn, spec.instance_uuid, ctxt.request_id, message="Error")
            cell_instances.add_fault(conn, spec.instance_uuid, code, message, details, None)
        with api_db.writer() as conn:
            mappings.set_instance_cell(conn, spec.instance_uuid, cell0)
            if not build_requests.delete(conn, spec.instance_uuid):
                LOG.info("Instance %s was deleted while it was buried", spec.instance_uuid)
                mappings.update_instance_mapping(conn, spec.instance_uuid,
                                                 queued_for_delete=True)
                deleted = True
            else:
                deleted = False
        if deleted:
            with cells.db(cell0).writer() as conn:
                cell_instances.destroy(conn, spec.instance_uuid)

    # --- reschedules ---------------------------------------------------------------------

    def build_instances(self, ctxt: RequestContext, instance: Instance, spec: RequestSpec,
                        image: ImageMeta, admin_password: str | None,
                        injected_files: list[tuple[str, str]], requested_networks: Any,
                        host_list: list[Selection]) -> None:
        """A reschedule: claim the first alternate that still fits and send the
        build there; past [scheduler] max_attempts, or with no alternate
        left, the instance goes to ERROR with Nova's retry fault."""
        _api_db, cells, _scheduler, placement = self._require_super()
        spec.num_attempts = spec.num_attempts + 1
        max_attempts = int(self.conf.scheduler.max_attempts)
        if spec.num_attempts > max_attempts:
            error: exc.NoValidHost = exc.MaxRetriesExceeded(
                reason=f"Exceeded max scheduling attempts {max_attempts} for instance "
                f"{instance.uuid}.")
            self._fail(ctxt, instance.uuid, self._cell_of(instance.uuid), fault_of(error))
            return
        for index, alternate in enumerate(host_list):
            request = orjson.loads(alternate.allocation_request or "{}")
            if request and not placement.claim(instance.uuid, request, instance.project_id,
                                               instance.user_id):
                continue
            cell = cells.get(alternate.cell_uuid)
            try:
                with cells.db(cell).writer() as conn:
                    record = cell_instances.update(
                        conn, instance.uuid, {"host": alternate.service_host,
                                              "node": alternate.nodename,
                                              "launched_on": alternate.service_host},
                        expected_task_state=[states.SCHEDULING])
            except (exc.InstanceNotFound, exc.UnexpectedTaskState):
                LOG.info("Instance %s was deleted while it was rescheduled", instance.uuid)
                self._release(instance.uuid)
                return
            LOG.info("Rescheduling %s to %s", instance.uuid, alternate.service_host)
            self.compute_api(cell).build_and_run_instance(
                ctxt, alternate.service_host, to_object(record), image, spec, admin_password,
                injected_files, requested_networks, alternate.nodename, host_list[index + 1:])
            return
        error = exc.MaxRetriesExceeded(
            reason="Exhausted all hosts available for retrying build failures for instance "
            f"{instance.uuid}.")
        self._fail(ctxt, instance.uuid, self._cell_of(instance.uuid), fault_of(error))

    def _cell_of(self, instance_uuid: str) -> CellMapping:
        _api_db, cells, _scheduler, _placement = self._require_super()
        cell = cells.for_instance(instance_uuid)
        if cell is None:
            raise exc.InstanceNotFound(instance_id=instance_uuid)
        return cell
