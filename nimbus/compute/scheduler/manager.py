"""The server side of the scheduler: select_destinations.

For a request spec: ask placement for allocation candidates (its resources,
traits, availability zone aggregates, forced host), describe each candidate
host from the cell databases and the API database, run the enabled filters
(counting what each removed, for the "No valid host" message), weigh the
rest, then claim the best in placement (a failed claim tries the next) and
keep alternates from the same cell for reschedules.
"""

from __future__ import annotations

import datetime
import logging
import random
from collections import Counter
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
from nimbus.compute.db.cell.instances import on_host
from nimbus.compute.db.mappings import CellMapping
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection
from nimbus.compute.placement import PlacementClient
from nimbus.compute.scheduler import framework, request
from nimbus.compute.scheduler.framework import HostState, SchedulingState
from nimbus.compute.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)

COMPUTE_BINARY = "nova-compute"


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
        self.host_subset_size = max(1, int(options.host_subset_size))
        self.max_attempts = max(1, int(conf.scheduler.max_attempts))
        self.max_results = int(conf.scheduler.max_placement_results)
        self.down_time = int(conf.compute.service_down_time)
        # Builds that failed on a host lately (BuildFailureWeigher), by host.
        self.failed_builds: Counter[str] = Counter()

    # --- the RPC method -----------------------------------------------------------

    def select_destinations(self, ctxt: RequestContext, spec: RequestSpec,
                            instance_uuids: list[str],
                            return_alternates: bool = True) -> list[list[Selection]]:
        hosts = self._candidates(spec)
        state = SchedulingState(spec)
        for plugin in self.filters:
            plugin.prepare(state)
        wanted = request.resources(spec)
        chosen: list[list[Selection]] = []
        try:
            for index, instance_uuid in enumerate(instance_uuids):
                hosts = self._filter(hosts, state, first=index == 0)
                host_list = self._place(hosts, state, instance_uuid, wanted, return_alternates)
                chosen.append(host_list)
        except exc.NoValidHost:
            # All or nothing: give back what earlier instances of this request claimed.
            for instance_uuid in instance_uuids[:len(chosen)]:
                self.placement.delete_allocations(instance_uuid)
            raise
        return chosen

    # --- candidates ----------------------------------------------------------------

    def _placement_filters(self, spec: RequestSpec) -> tuple[list[str] | None, str | None]:
        member_of = None
        if spec.availability_zone and self.conf.scheduler.query_placement_for_availability_zone:
            with self.api_db.reader() as conn:
                zone_aggs = aggregates.availability_zone_aggregates(conn, spec.availability_zone)
            if zone_aggs:
                member_of = zone_aggs
        in_tree = None
        if spec.requested_node or spec.requested_host or spec.force_hosts:
            in_tree = self._requested_node(spec)
        return member_of, in_tree

    def _requested_node(self, spec: RequestSpec) -> str:
        host = spec.requested_host or (spec.force_hosts[0] if spec.force_hosts else None)
        node = spec.requested_node or (spec.force_nodes[0] if spec.force_nodes else None)
        for cell in self.cells.all(include_cell0=False):
            with self.cells.db(cell).reader() as conn:
                for found in compute_nodes.list_nodes(conn, host=host):
                    if node is None or found.hypervisor_hostname == node:
                        return found.uuid
        raise exc.NoValidHost(reason=f"Compute host {host or node} could not be found.")

    def _candidates(self, spec: RequestSpec) -> list[HostState]:
        member_of, in_tree = self._placement_filters(spec)
        params = request.placement_query(spec, self.max_results, member_of, in_tree)
        answer = self.placement.allocation_candidates(params)
        requests = answer.get("allocation_requests", [])
        summaries = answer.get("provider_summaries", {})
        if not requests:
            raise exc.NoValidHost(reason="There are not enough hosts available.")
        by_root: dict[str, dict[str, Any]] = {}
        for allocation_request in requests:
            root = self._root(allocation_request, summaries)
            by_root.setdefault(root, allocation_request)  # the first candidate per host
        hosts = self._describe(by_root, summaries, spec.requested_cell)
        if not hosts:
            raise exc.NoValidHost(reason="There are not enough hosts available.")
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
            found = []
            for node in nodes:
                service = svc.get(node.host)
                summary = summaries.get(node.uuid, {}).get("resources", {})
                found.append(HostState(
                    uuid=node.uuid, host=node.host, nodename=node.hypervisor_hostname,
                    cell_uuid=cell.uuid,
                    capacity={rc: v["capacity"] for rc, v in summary.items()},
                    used={rc: v["used"] for rc, v in summary.items()},
                    allocation_request=by_root[node.uuid],
                    service_disabled=service.disabled if service else True,
                    service_up=service.is_up(now, self.down_time) if service else False,
                    hypervisor_type=node.hypervisor_type,
                    num_instances=node.running_vms or 0,
                    failed_builds=self.failed_builds.get(node.host, 0),
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
                first: bool) -> list[HostState]:
        spec = state.spec
        if first and (spec.scheduler_hints.get("same_host")
                      or spec.scheduler_hints.get("different_host")):
            self._add_instances(hosts)
        if spec.ignore_hosts:
            hosts = [h for h in hosts if h.host not in spec.ignore_hosts]
        removed: list[str] = []
        for plugin in self.filters:
            if plugin.run_once_per_request and not first:
                continue
            before = len(hosts)
            kept = []
            for host in hosts:
                verdict = plugin.host_passes(host, state)
                if verdict.passed:
                    kept.append(host)
                else:
                    LOG.debug("%s removed %s: %s", plugin.name, host.host, verdict.reason)
            hosts = kept
            removed.append(f"{plugin.name}: (start: {before}, end: {len(hosts)})")
            if not hosts:
                LOG.info("Filtering removed all hosts for %s: %s", spec.instance_uuid,
                         ", ".join(removed))
                raise exc.NoValidHost(reason="There are not enough hosts available. Filter "
                                      "results: " + ", ".join(removed))
        return hosts

    def _weigh(self, hosts: list[HostState], state: SchedulingState) -> list[HostState]:
        totals = [0.0] * len(hosts)
        for weigher in self.weighers:
            raw = [weigher.weigh(h, state) for h in hosts]
            for i, value in enumerate(framework.normalize(raw)):
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
            if spec.group_uuid:
                spec.group_hosts = list(spec.group_hosts) + [host.host]
            selections = [self._selection(host)]
            if return_alternates:
                alternates = [h for h in ranked[index + 1:] if h.cell_uuid == host.cell_uuid]
                selections += [self._selection(h) for h in alternates[:self.max_attempts - 1]]
            return selections
        raise exc.NoValidHost(reason="Every candidate host's claim in placement failed.")

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
