"""The server side of the scheduler: select_destinations.

For a request spec: read its server group afresh (groups.py), let the
request filters confine the placement query (prefilters.py), ask placement
for allocation candidates (request.py builds the query), describe each
candidate host from the cell databases and the API database, run the
enabled filters (counting what each removed, for the "No valid host"
fault), weigh the rest, then claim the best in placement (a failed claim
tries the next) and keep alternates from the same cell for reschedules.
Every failure is a NoValidHost whose message is Nova's and whose details
say why; whatever this request claimed is given back first.
"""

from __future__ import annotations

import datetime
import logging
import random
from typing import Any

import orjson
from oslo_config import cfg

from nimbus.common.context import RequestContext
from nimbus.common.db import Database
from nimbus.common.messaging import oslo_messaging
from nimbus.compute import exceptions as exc
from nimbus.compute.cells import CellFailed, Cells, CellTimeout
from nimbus.compute.db import aggregates, mappings
from nimbus.compute.db.cell import compute_nodes, services
from nimbus.compute.db.cell.instances import host_counts, on_host
from nimbus.compute.db.mappings import CellMapping
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection
from nimbus.compute.placement import PlacementClient
from nimbus.compute.scheduler import framework, groups, prefilters, request
from nimbus.compute.scheduler.framework import HostState, SchedulingState
from nimbus.compute.scheduler.request import Destination, ResourceRequest
from nimbus.compute.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)

COMPUTE_BINARY = "nova-compute"
# Nova's reasons, word for word: clients and operators search for them.
NOT_ENOUGH_HOSTS = "There are not enough hosts available."
NO_CANDIDATES = ("Got no allocation candidates from the Placement API. This could be due to "
                 "insufficient resources or a temporary occurrence as compute nodes start up.")


def no_valid_host(reason: str, details: str) -> exc.NoValidHost:
    """Nova's NoValidHost, with what the operator needs in its details."""
    return exc.NoValidHost(reason=reason, details=details)


class SchedulerManager:
    target = oslo_messaging.Target(version=SchedulerAPI.version())

    def __init__(self, conf: cfg.ConfigOpts, api_db: Database, cells: Cells,
                 placement: PlacementClient) -> None:
        self.conf = conf
        self.api_db = api_db
        self.cells = cells
        self.placement = placement
        options = conf.filter_scheduler
        self.filters = framework.load_filters(conf, list(options.enabled_filters))
        self.weighers = framework.load_weighers(conf, list(options.weight_classes))
        self.enabled = {p.name for p in self.filters} | {w.name for w in self.weighers}
        self.host_subset_size = max(1, int(options.host_subset_size))
        self.max_attempts = max(1, int(conf.scheduler.max_attempts))
        self.max_results = int(conf.scheduler.max_placement_results)
        self.down_time = int(conf.compute.service_down_time)

    # --- the RPC method -----------------------------------------------------------

    # Expected: the caller handles them; the RPC server need not log them as failures.
    @oslo_messaging.expected_exceptions(  # type: ignore[untyped-decorator]
        exc.NoValidHost, exc.UnsupportedPolicyException)
    def select_destinations(self, ctxt: RequestContext, spec: RequestSpec,
                            instance_uuids: list[str],
                            return_alternates: bool = True) -> list[list[Selection]]:
        """One host (and its alternates) per instance, claimed in placement;
        all or nothing.

        :raises NoValidHost: :raises UnsupportedPolicyException:
        """
        state = SchedulingState(spec)
        wanted = request.from_spec(spec)
        hosts = self._candidates(spec, wanted)
        # Read last, as close to the claims as can be: members of the group
        # scheduled meanwhile are seen.
        state.group = groups.load(self.api_db, self.cells, spec, self.enabled)
        for plugin in self.filters:
            plugin.prepare(state)
        resources = wanted.merged_resources()
        chosen: list[list[Selection]] = []
        try:
            for index, instance_uuid in enumerate(instance_uuids):
                state.instance_uuid = instance_uuid
                hosts = self._filter(hosts, state, index)
                chosen.append(self._place(hosts, state, instance_uuid, resources,
                                          return_alternates))
        except exc.NoValidHost:
            # All or nothing: give back what earlier instances of this request claimed.
            for instance_uuid in instance_uuids[:len(chosen)]:
                self.placement.delete_allocations(instance_uuid)
            raise
        return chosen

    # --- candidates ----------------------------------------------------------------

    def _destination(self, spec: RequestSpec) -> Destination:
        try:
            dest = prefilters.process(self.conf, self.api_db, spec)
        except exc.RequestFilterFailed as err:
            raise no_valid_host(str(err), str(err)) from None
        if spec.requested_node or spec.requested_host or spec.force_hosts or spec.force_nodes:
            dest.in_tree = self._requested_node(spec)
        return dest

    def _requested_node(self, spec: RequestSpec) -> str:
        host = spec.requested_host or (spec.force_hosts[0] if spec.force_hosts else None)
        node = spec.requested_node or (spec.force_nodes[0] if spec.force_nodes else None)
        for cell in self.cells.all(include_cell0=False):
            with self.cells.db(cell).reader() as conn:
                for found in compute_nodes.list_nodes(conn, host=host):
                    if node is None or found.hypervisor_hostname == node:
                        return found.uuid
        message = f"Compute host {host or node} could not be found."
        raise no_valid_host(message, message)

    def _candidates(self, spec: RequestSpec, wanted: ResourceRequest) -> list[HostState]:
        params = wanted.query(self.max_results, self._destination(spec))
        try:
            answer = self.placement.allocation_candidates(params)
        except exc.NoValidHost as err:  # placement refused the query (400)
            raise no_valid_host("", f"{NO_CANDIDATES} Placement said: {err}") from None
        except exc.PlacementError as err:
            LOG.error("Placement failed to give allocation candidates: %s", err)
            raise no_valid_host("", f"{NO_CANDIDATES} Placement said: {err}") from None
        requests = answer.get("allocation_requests", [])
        summaries = answer.get("provider_summaries", {})
        if not requests:
            LOG.info(NO_CANDIDATES)
            raise no_valid_host("", NO_CANDIDATES)
        by_root: dict[str, dict[str, Any]] = {}
        for allocation_request in requests:
            root = self._root(allocation_request, summaries)
            by_root.setdefault(root, allocation_request)  # the first candidate per host
        hosts = self._describe(by_root, summaries, spec.requested_cell)
        if not hosts:
            raise no_valid_host(NOT_ENOUGH_HOSTS, "No candidate of placement is a compute "
                                "node of a cell that answered.")
        return hosts

    @staticmethod
    def _root(allocation_request: dict[str, Any], summaries: dict[str, Any]) -> str:
        for rp_uuid in allocation_request["allocations"]:
            root = summaries.get(rp_uuid, {}).get("root_provider_uuid", rp_uuid)
            if root is not None:
                return str(root)
        return str(next(iter(allocation_request["allocations"])))

    def _describe(self, by_root: dict[str, dict[str, Any]], summaries: dict[str, Any],
                  cell_uuid: str | None = None) -> list[HostState]:
        """The candidates as hosts, from the cells (only `cell_uuid`, for a
        move that must stay in its cell)."""
        uuids = list(by_root)
        now = datetime.datetime.now(datetime.UTC)

        def look(cell: CellMapping, db: Database) -> list[HostState]:
            with db.reader() as conn:
                nodes = compute_nodes.list_nodes(conn, uuids=uuids, cell_uuid=cell.uuid)
                if not nodes:
                    return []
                svc = {s.host: s for s in services.list_services(conn, binary=COMPUTE_BINARY)}
                counts = host_counts(conn, {n.host for n in nodes})
            found = []
            for node in nodes:
                service = svc.get(node.host)
                summary = summaries.get(node.uuid, {}).get("resources", {})
                instances, io_ops = counts.get(node.host, (0, 0))
                found.append(HostState(
                    uuid=node.uuid, host=node.host, nodename=node.hypervisor_hostname,
                    cell_uuid=cell.uuid,
                    capacity={rc: v["capacity"] for rc, v in summary.items()},
                    used={rc: v["used"] for rc, v in summary.items()},
                    allocation_request=by_root[node.uuid],
                    service_disabled=service.disabled if service else True,
                    service_up=service.is_up(now, self.down_time) if service else False,
                    hypervisor_type=node.hypervisor_type,
                    hypervisor_version=node.hypervisor_version or 0,
                    supported_instances=[(str(t[0]), str(t[1]), str(t[2]))
                                         for t in node.supported_instances if len(t) == 3],
                    num_instances=instances, num_io_ops=io_ops,
                    failed_builds=int(node.stats.get("failed_builds", 0) or 0),
                    traits=set(summaries.get(node.uuid, {}).get("traits", []))))
            return found

        cells = [c for c in self.cells.all(include_cell0=False)
                 if cell_uuid is None or c.uuid == cell_uuid]
        results = self.cells.scatter(cells, look, timeout=30)
        hosts: list[HostState] = []
        for cell_uuid, result in results.items():
            if isinstance(result, (CellTimeout, CellFailed)):
                LOG.warning("Cell %s left out of scheduling: %r", cell_uuid, result)
                continue
            hosts.extend(result)
        self._add_aggregates(hosts)
        return hosts

    def _add_aggregates(self, hosts: list[HostState]) -> None:
        default_zone = self.conf.compute.default_availability_zone
        with self.api_db.reader() as conn:
            found = aggregates.host_aggregates(conn, {h.host for h in hosts})
        for host in hosts:
            host.aggregates = found.get(host.host, [])
            zones = sorted(host.aggregate_metadata("availability_zone"))
            host.availability_zone = ",".join(zones) if zones else default_zone

    def _add_instances(self, hosts: list[HostState]) -> None:
        for cell_uuid in {h.cell_uuid for h in hosts}:
            in_cell = [h for h in hosts if h.cell_uuid == cell_uuid]
            with self.cells.db(cell_uuid).reader() as conn:
                for host in in_cell:
                    host.instance_uuids = {r.uuid for r in on_host(conn, host.host)}

    # --- filters, weighers, claims ----------------------------------------------------

    def _filter(self, hosts: list[HostState], state: SchedulingState,
                index: int) -> list[HostState]:
        """The hosts every enabled filter keeps for the index-th instance;
        forced hosts skip the filters, as Nova's.

        :raises NoValidHost: with the filters' counts in Nova's words.
        """
        spec = state.spec
        if index == 0 and (spec.scheduler_hints.get("same_host")
                           or spec.scheduler_hints.get("different_host")):
            self._add_instances(hosts)
        if spec.ignore_hosts:
            hosts = [h for h in hosts if h.host not in spec.ignore_hosts]
        forced_hosts = {h.lower() for h in spec.force_hosts}
        if forced_hosts or spec.force_nodes:
            hosts = [h for h in hosts if (not forced_hosts or h.host.lower() in forced_hosts)
                     and (not spec.force_nodes or h.nodename in spec.force_nodes)]
            if not hosts:
                raise no_valid_host(NOT_ENOUGH_HOSTS, "The forced host is not a candidate.")
            return hosts
        if not hosts:
            raise no_valid_host(NOT_ENOUGH_HOSTS, "Every candidate host was tried before.")
        results: list[str] = []
        for plugin in self.filters:
            if plugin.run_once_per_request and index > 0:
                continue
            start = len(hosts)
            kept = []
            for host in hosts:
                verdict = plugin.host_passes(host, state)
                if verdict.passed:
                    kept.append(host)
                else:
                    LOG.debug("%s removed %s: %s", plugin.name, host.host, verdict.reason)
            hosts = kept
            results.append(f"{plugin.name}: (start: {start}, end: {len(hosts)})")
            if not hosts:
                details = ("Filtering removed all hosts for the request with instance ID "
                           f"'{state.instance_uuid}'. Filter results: {results}")
                LOG.info(details)
                raise no_valid_host(NOT_ENOUGH_HOSTS, details)
        return hosts

    def _weigh(self, hosts: list[HostState], state: SchedulingState) -> list[HostState]:
        totals = [0.0] * len(hosts)
        if len(hosts) > 1:
            for weigher in self.weighers:
                raw = [weigher.weigh(h, state) for h in hosts]
                normalized = framework.normalize(raw, weigher.minval, weigher.maxval)
                for i, value in enumerate(normalized):
                    totals[i] += weigher.multiplier(hosts[i]) * value
        ranked = [h for _, h in sorted(zip(totals, hosts, strict=True), key=lambda p: -p[0])]
        if self.host_subset_size > 1:
            subset = ranked[:self.host_subset_size]
            random.shuffle(subset)
            ranked = subset + ranked[self.host_subset_size:]
        return ranked

    def _place(self, hosts: list[HostState], state: SchedulingState, instance_uuid: str,
               wanted: dict[str, int], return_alternates: bool) -> list[Selection]:
        spec = state.spec
        ranked = self._weigh(hosts, state)
        for index, host in enumerate(ranked):
            assert host.allocation_request is not None
            if not self.placement.claim(instance_uuid, host.allocation_request,
                                        spec.project_id, spec.user_id):
                continue
            host.consume(wanted, instance_uuid)
            if state.group is not None:
                state.group.place(instance_uuid, host.host)
            selections = [self._selection(host)]
            if return_alternates:
                alternates = [h for h in ranked[index + 1:] if h.cell_uuid == host.cell_uuid]
                selections += [self._selection(h) for h in alternates[:self.max_attempts - 1]]
            return selections
        raise no_valid_host(NOT_ENOUGH_HOSTS, f"Placement refused the claim of instance "
                            f"{instance_uuid} on every one of {len(ranked)} hosts left.")

    @staticmethod
    def _selection(host: HostState) -> Selection:
        return Selection(service_host=host.host, nodename=host.nodename,
                         compute_node_uuid=host.uuid, cell_uuid=host.cell_uuid,
                         allocation_request=orjson.dumps(host.allocation_request).decode(),
                         allocation_request_version="1.39")

    # --- periodic ---------------------------------------------------------------------

    def discover_hosts(self) -> list[str]:
        """Map every compute node host not yet mapped to its cell (Nova's
        discover_hosts_in_cells_interval); the hosts newly mapped."""
        return discover_hosts(self.api_db, self.cells)


def discover_hosts(api_db: Database, cells: Cells) -> list[str]:
    """Host mappings for every unmapped compute node in every cell."""
    added: list[str] = []
    for cell in cells.all(include_cell0=False):
        db = cells.db(cell)
        with db.reader() as conn:
            nodes = compute_nodes.unmapped(conn)
        if not nodes:
            continue
        with api_db.writer() as conn:
            for node in nodes:
                if mappings.map_host(conn, node.host, cell):
                    added.append(node.host)
        with db.writer() as conn:
            compute_nodes.mark_mapped(conn, [n.id for n in nodes])
    return added
