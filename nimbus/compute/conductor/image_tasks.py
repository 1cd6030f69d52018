"""The conductor's part in the tasks that start from an image: rebuilds and unshelves.

A rebuild with a new image stays on its host, so the host must still suit
the image: traits the image requires must be on the host's provider (as
Nova's conductor checks them); if not, the server gets its old image back,
in ERROR with a fault. An offloaded server is unshelved like a build: its
shelved image is looked up, the scheduler picks a host in the server's cell
(the zone and host the API recorded in its request spec), and the agent
there spawns it; a server nobody can take stays SHELVED_OFFLOADED.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.db import aggregates, build_requests
from nimbus.compute.db.cell import actions, compute_nodes
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.db.mappings import CellMapping
from nimbus.compute.objects.convert import to_object
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection

if TYPE_CHECKING:
    from nimbus.common.db import Database
    from nimbus.compute.cells import Cells
    from nimbus.compute.image import ImageClient
    from nimbus.compute.placement import PlacementClient
    from nimbus.compute.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)

TRAITS_UNSATISFIED = ("Image traits cannot be satisfied by the current resource providers. "
                      "Either specify a different image during rebuild or create a new "
                      "server with the specified image.")


class ImageTasksMixin:
    """Part of ConductorManager (which provides what is declared below)."""

    if TYPE_CHECKING:
        host: str
        images: ImageClient | None
        compute_api: Any
        default_az: str

        def _require_super(self) -> tuple[Database, Cells, SchedulerAPI,
                                          PlacementClient]: ...

        def _cell_of(self, instance_uuid: str) -> CellMapping: ...

        def _release(self, instance_uuid: str) -> None: ...

    # --- plumbing -----------------------------------------------------------------

    @contextlib.contextmanager
    def _task_event(self, ctxt: RequestContext, cell: CellMapping, instance_uuid: str,
                    event: str) -> Iterator[None]:
        """An instance action event of the conductor's (Nova's EventReporter)."""
        _api_db, cells, _scheduler, _placement = self._require_super()
        db = cells.db(cell)
        with contextlib.suppress(exc.NotFound), db.writer() as conn:
            actions.event_start(conn, instance_uuid, ctxt.request_id, event, self.host)
        try:
            yield
        except Exception:
            with contextlib.suppress(exc.NotFound), db.writer() as conn:
                actions.event_finish(conn, instance_uuid, ctxt.request_id, event, "Error",
                                     traceback.format_exc())
            raise
        with contextlib.suppress(exc.NotFound), db.writer() as conn:
            actions.event_finish(conn, instance_uuid, ctxt.request_id, event, "Success")

    def _set(self, cell: CellMapping, instance_uuid: str, values: dict[str, Any],
             expected: list[str | None] | None = None,
             fault: str | None = None) -> cell_instances.InstanceRecord:
        _api_db, cells, _scheduler, _placement = self._require_super()
        with cells.db(cell).writer() as conn:
            record = cell_instances.update(conn, instance_uuid, values,
                                           expected_task_state=expected)
            if fault is not None:
                cell_instances.add_fault(conn, instance_uuid, 500, fault,
                                         traceback.format_exc(), self.host)
        record.cell_uuid = cell.uuid
        return record

    # --- rebuild ------------------------------------------------------------------------

    def _missing_traits(self, cell: CellMapping, instance: Instance,
                        image: ImageMeta) -> set[str]:
        """Traits the image requires that the instance's host lacks."""
        required = {key[len("trait:"):] for key, value in image.properties.items()
                    if key.startswith("trait:") and value == "required"}
        if not required:
            return set()
        _api_db, cells, _scheduler, placement = self._require_super()
        with cells.db(cell).reader() as conn:
            nodes = compute_nodes.list_nodes(conn, host=instance.host)
        node = next((n for n in nodes if n.hypervisor_hostname == instance.node), None)
        if node is None:
            return required
        return required - set(placement.get_traits(node.uuid).get("traits", []))

    def rebuild_instance(self, ctxt: RequestContext, instance: Instance, image: ImageMeta,
                         orig_image_ref: str, orig_system_metadata: dict[str, str | None],
                         admin_password: str | None, injected_files: list[tuple[str, str]],
                         preserve_ephemeral: bool) -> None:
        cell = self._cell_of(instance.uuid)
        try:
            with self._task_event(ctxt, cell, instance.uuid, "rebuild_server"):
                if image.id != orig_image_ref and self._missing_traits(cell, instance, image):
                    raise exc.NoValidHost(reason=TRAITS_UNSATISFIED)
            self.compute_api(cell).rebuild_instance(ctxt, instance.host or "", instance, image,
                                                    admin_password, injected_files,
                                                    preserve_ephemeral)
        except Exception as err:
            # The host refused the image (or could not be asked): the old image
            # back, in ERROR, as Nova's conductor leaves it.
            LOG.warning("Rebuild of %s refused: %s", instance.uuid, err)
            with contextlib.suppress(exc.NotFound, exc.UnexpectedTaskState):
                self._set(cell, instance.uuid, {
                    "vm_state": states.ERROR, "task_state": None, "image_ref": orig_image_ref,
                    "system_metadata": orig_system_metadata},
                    expected=[states.REBUILDING], fault=str(err))

    # --- unshelve -----------------------------------------------------------------------

    def unshelve_instance(self, ctxt: RequestContext, instance: Instance) -> None:
        cell = self._cell_of(instance.uuid)
        if instance.vm_state == states.SHELVED:
            self._unshelve_in_place(ctxt, cell, instance)
            return
        selection: Selection | None = None
        try:
            image = self._shelved_image(ctxt, cell, instance)
            if image is None:
                return
            selection = self._schedule_unshelve(ctxt, cell, instance)
            if selection is None:
                return
            api_db, _cells, _scheduler, _placement = self._require_super()
            with api_db.reader() as conn:
                zone = aggregates.host_availability_zone(conn, selection.service_host,
                                                         self.default_az)
            record = self._set(cell, instance.uuid, {
                "host": selection.service_host, "node": selection.nodename,
                "launched_on": selection.service_host, "availability_zone": zone},
                expected=[states.UNSHELVING])
            self.compute_api(cell).unshelve_instance(ctxt, selection.service_host,
                                                     to_object(record), image,
                                                     selection.nodename)
        except Exception as err:
            LOG.warning("Unshelve of %s failed before it reached a host: %s", instance.uuid,
                        err)
            if selection is not None:
                self._release(instance.uuid)
            with contextlib.suppress(exc.NotFound, exc.UnexpectedTaskState):
                self._set(cell, instance.uuid, {"task_state": None, "host": None,
                                                "node": None, "launched_on": None},
                          expected=[states.UNSHELVING], fault=str(err))

    def _unshelve_in_place(self, ctxt: RequestContext, cell: CellMapping,
                           instance: Instance) -> None:
        """A shelved (not offloaded) instance is powered on where it is."""
        try:
            record = self._set(cell, instance.uuid, {"task_state": states.POWERING_ON},
                               expected=[states.UNSHELVING])
        except (exc.UnexpectedTaskState, exc.InstanceNotFound) as err:
            LOG.info("Not unshelving %s: %s", instance.uuid, err)
            return
        try:
            self.compute_api(cell).unshelve_instance(ctxt, record.host or "",
                                                     to_object(record), None, record.node)
        except Exception as err:
            LOG.warning("Unshelve of %s could not reach its host: %s", instance.uuid, err)
            with contextlib.suppress(exc.NotFound, exc.UnexpectedTaskState):
                self._set(cell, instance.uuid, {"task_state": None},
                          expected=[states.POWERING_ON], fault=str(err))

    def _shelved_image(self, ctxt: RequestContext, cell: CellMapping,
                       instance: Instance) -> ImageMeta | None:
        """The image an offloaded instance was shelved to; None (and the
        instance in ERROR) when it is gone."""
        image_id = instance.system_metadata.get("shelved_image_id") or ""
        try:
            with self._task_event(ctxt, cell, instance.uuid, "get_image_info"):
                if self.images is None:
                    raise exc.ServiceUnavailable(detail="this conductor has no image client")
                return self.images.meta(image_id)
        except exc.ImageNotFound:
            reason = f"Unshelve attempted but the image {image_id} cannot be found."
            LOG.error("%s (instance %s)", reason, instance.uuid)
            with contextlib.suppress(exc.NotFound):
                self._set(cell, instance.uuid, {"vm_state": states.ERROR, "task_state": None},
                          fault=reason)
            return None

    def _schedule_unshelve(self, ctxt: RequestContext, cell: CellMapping,
                           instance: Instance) -> Selection | None:
        """A host in the instance's cell, claimed; None (the instance left
        SHELVED_OFFLOADED) when there is none."""
        api_db, _cells, scheduler, _placement = self._require_super()
        with api_db.reader() as conn:
            spec = RequestSpec.from_dict(build_requests.get_spec(conn, instance.uuid))
        spec.force_hosts = []
        spec.force_nodes = []
        spec.ignore_hosts = []
        spec.num_instances = 1
        spec.requested_cell = cell.uuid
        try:
            with self._task_event(ctxt, cell, instance.uuid, "schedule_instances"):
                host_lists = scheduler.select_destinations(ctxt, spec, [instance.uuid],
                                                           return_alternates=False)
        except Exception as err:
            LOG.warning("No host to unshelve %s on: %s", instance.uuid, err)
            with contextlib.suppress(exc.NotFound, exc.UnexpectedTaskState):
                self._set(cell, instance.uuid, {"task_state": None},
                          expected=[states.UNSHELVING])
            return None
        return host_lists[0][0]
