"""What a host has and uses: its compute node records (through the conductor)
and its resource providers in placement (inventories and traits).

The driver describes each node in a provider tree; the tracker sends
placement only what changed since placement last acknowledged it, retrying
once on a generation conflict (someone else touched the provider: an
operator adding a trait, an aggregate change) after re-reading it. The
tracker adds COMPUTE_STATUS_DISABLED while the agent's service is disabled,
so that the scheduler's placement query leaves the host out, and keeps
Nova's workload statistics of each node (failed_builds among them) in its
compute node record.
"""

from __future__ import annotations

import logging
from typing import Any

from oslo_config import cfg

from nimbus.common.context import RequestContext
from nimbus.compute import states
from nimbus.compute.conductor.rpcapi import ConductorAPI
from nimbus.compute.objects.instance import Instance
from nimbus.compute.placement import Conflict, PlacementClient
from nimbus.compute.virt.driver import Allocation, ComputeDriver
from nimbus.compute.virt.provider_tree import ProviderTree

LOG = logging.getLogger(__name__)

DISABLED_TRAIT = "COMPUTE_STATUS_DISABLED"
# Task states Nova's stats count as I/O-heavy work (with builds).
_IO_TASKS = frozenset({states.RESIZE_MIGRATING, states.REBUILDING, states.RESIZE_PREP,
                       states.IMAGE_SNAPSHOT, states.IMAGE_BACKUP, states.RESCUING,
                       states.UNSHELVING})


def workload_stats(instances: list[Instance], failed_builds: int) -> dict[str, int]:
    """Nova's compute node stats for the instances of one node."""
    stats: dict[str, int] = {"num_instances": len(instances), "failed_builds": failed_builds}
    io_workload = 0
    for instance in instances:
        for key in (f"num_vm_{instance.vm_state}", f"num_task_{instance.task_state}",
                    f"num_os_type_{instance.os_type}", f"num_proj_{instance.project_id}"):
            stats[key] = stats.get(key, 0) + 1
        if instance.vm_state == states.BUILDING or instance.task_state in _IO_TASKS:
            io_workload += 1
    stats["io_workload"] = io_workload
    return stats


def allocation_settings(conf: cfg.ConfigOpts) -> Allocation:
    group = conf.compute
    return Allocation(
        cpu_allocation_ratio=group.cpu_allocation_ratio,
        ram_allocation_ratio=group.ram_allocation_ratio,
        disk_allocation_ratio=group.disk_allocation_ratio,
        reserved_host_cpus=group.reserved_host_cpus,
        reserved_host_memory_mb=group.reserved_host_memory_mb,
        reserved_host_disk_mb=group.reserved_host_disk_mb)


class ResourceTracker:
    def __init__(self, conf: cfg.ConfigOpts, host: str, driver: ComputeDriver,
                 conductor: ConductorAPI, placement: PlacementClient) -> None:
        self.host = host
        self.driver = driver
        self.conductor = conductor
        self.placement = placement
        self.allocation = allocation_settings(conf)
        self.tree = ProviderTree()  # what placement last acknowledged
        self.node_uuids: dict[str, str] = {}  # nodename -> compute node uuid
        self.disabled = False  # the agent's service is disabled
        self.failed_builds: dict[str, int] = {}  # nodename -> builds failed in a row
        self.stats: dict[str, dict[str, int]] = {}  # nodename -> last reported stats

    def update(self, ctxt: RequestContext, service_id: int,
               instances: list[Instance]) -> None:
        """Report every node's capacity and use, to the cell and to placement."""
        for nodename in self.driver.get_available_nodes():
            here = [i for i in instances if i.node == nodename]
            record = self._report_node(ctxt, service_id, nodename, here)
            self.node_uuids[nodename] = record["uuid"]
            self._sync_node(nodename)

    def _sync_with_retries(self, node_uuid: str, nodename: str, attempts: int = 5) -> None:
        """Placement bumps a provider's generation on every claim against it,
        so a report races the scheduler: on a conflict, read the provider
        again and retry; after `attempts`, leave it to the next report."""
        for _attempt in range(attempts):
            try:
                self._sync_providers(node_uuid, nodename)
                return
            except Conflict:
                LOG.debug("Provider of %s changed under us; re-reading it", nodename)
                if self.tree.exists(node_uuid):
                    self.tree.remove(node_uuid)
        LOG.warning("Could not update the provider of %s in placement after %d attempts; "
                    "the next report will try again", nodename, attempts)

    def _sync_node(self, nodename: str) -> None:
        self._sync_with_retries(self.node_uuids[nodename], nodename)

    def set_disabled(self, disabled: bool) -> None:
        """The service was enabled or disabled: set or clear
        COMPUTE_STATUS_DISABLED on every node's provider now."""
        if disabled == self.disabled:
            return
        self.disabled = disabled
        LOG.info("Compute service of %s %s: %s the %s trait", self.host,
                 "disabled" if disabled else "enabled", "setting" if disabled else "clearing",
                 DISABLED_TRAIT)
        for nodename in list(self.node_uuids):
            self._sync_node(nodename)

    # --- build outcomes (Nova's failed_builds statistic) -------------------------

    def build_failed(self, ctxt: RequestContext, service_id: int, nodename: str) -> None:
        self.failed_builds[nodename] = self.failed_builds.get(nodename, 0) + 1
        self._report_stats(ctxt, service_id, nodename)

    def build_succeeded(self, ctxt: RequestContext, service_id: int, nodename: str) -> None:
        if self.failed_builds.get(nodename):
            self.failed_builds[nodename] = 0
            self._report_stats(ctxt, service_id, nodename)

    def _report_stats(self, ctxt: RequestContext, service_id: int, nodename: str) -> None:
        """The node's stats with the new failure count, at once, so that the
        scheduler's next decision sees it (the rest waits for the periodic report)."""
        if nodename not in self.node_uuids:
            return
        stats = dict(self.stats.get(nodename, {}))
        stats["failed_builds"] = self.failed_builds.get(nodename, 0)
        self.stats[nodename] = stats
        self.conductor.compute_node_update(ctxt, self.host, nodename, service_id,
                                           {"uuid": self.node_uuids[nodename], "stats": stats})

    def _report_node(self, ctxt: RequestContext, service_id: int, nodename: str,
                     instances: list[Instance]) -> dict[str, Any]:
        res = self.driver.get_node_resources(nodename)
        vcpus_used = sum(i.vcpus for i in instances)
        memory_used = sum(i.memory_mb for i in instances) + self.allocation.reserved_host_memory_mb
        disk_used = sum(i.root_gb + i.ephemeral_gb for i in instances)
        values: dict[str, Any] = {
            "hypervisor_type": res.hypervisor_type,
            "hypervisor_version": res.hypervisor_version,
            "vcpus": res.vcpus, "memory_mb": res.memory_mb, "local_gb": res.local_gb,
            "vcpus_used": vcpus_used, "memory_mb_used": memory_used,
            "local_gb_used": disk_used, "free_ram_mb": res.memory_mb - memory_used,
            "free_disk_gb": res.local_gb - disk_used,
            "disk_available_least": res.disk_available_least
            if res.disk_available_least is not None else res.local_gb - disk_used,
            "current_workload": 0, "running_vms": len(instances), "cpu_info": res.cpu_info,
            "host_ip": res.host_ip,
            "cpu_allocation_ratio": self.allocation.cpu_allocation_ratio,
            "ram_allocation_ratio": self.allocation.ram_allocation_ratio,
            "disk_allocation_ratio": self.allocation.disk_allocation_ratio,
            "supported_instances": [list(t) for t in res.supported_instances],
            "stats": self._stats(nodename, instances),
        }
        if nodename in self.node_uuids:
            values["uuid"] = self.node_uuids[nodename]
        return self.conductor.compute_node_update(ctxt, self.host, nodename, service_id, values)

    def _stats(self, nodename: str, instances: list[Instance]) -> dict[str, int]:
        stats = workload_stats(instances, self.failed_builds.get(nodename, 0))
        self.stats[nodename] = stats
        return stats

    def _sync_providers(self, node_uuid: str, nodename: str) -> None:
        if not self.tree.exists(node_uuid):
            self._load_provider(node_uuid, nodename)
        wanted = self.tree.copy()
        self.driver.update_provider_tree(wanted, nodename, self.allocation)
        traits = set(wanted.get(nodename).traits) - {DISABLED_TRAIT}
        wanted.update_traits(nodename, traits | ({DISABLED_TRAIT} if self.disabled else set()))
        for provider in wanted.parents_first():
            known = self.tree.providers.get(provider.uuid)
            if known is None:
                created = self.placement.create_provider(provider.uuid, provider.name,
                                                         provider.parent_uuid)
                known = self.tree.add(provider.uuid, provider.name, provider.parent_uuid)
                known.generation = created["generation"]
            assert known.generation is not None
            if provider.inventories != known.inventories:
                known.generation = self.placement.set_inventories(
                    provider.uuid, known.generation, provider.inventories)
                known.inventories = dict(provider.inventories)
            if provider.traits != known.traits:
                known.generation = self.placement.set_traits(
                    provider.uuid, known.generation, sorted(provider.traits))
                known.traits = set(provider.traits)
        for gone in set(self.tree.providers) - set(wanted.providers):
            self.placement.delete_provider(gone)
            self.tree.providers.pop(gone, None)

    def _load_provider(self, node_uuid: str, nodename: str) -> None:
        """What placement has for the node's provider; created when missing."""
        found = self.placement.get_provider(node_uuid)
        if found is None:
            stale = self.placement.find_provider(nodename)
            if stale is not None and stale["uuid"] != node_uuid:
                # A provider of a node record that no longer exists (the node
                # was deleted and came back): its name blocks ours.
                LOG.warning("Removing stale provider %s named %s", stale["uuid"], nodename)
                self.placement.delete_provider(stale["uuid"])
            found = self.placement.create_provider(node_uuid, nodename)
        provider = self.tree.add(node_uuid, nodename)
        provider.generation = found["generation"]
        inventories = self.placement.get_inventories(node_uuid)
        provider.inventories = {
            rc: {k: v for k, v in inv.items()} for rc, inv in inventories["inventories"].items()}
        provider.generation = inventories["resource_provider_generation"]
        traits = self.placement.get_traits(node_uuid)
        provider.traits = set(traits["traits"])
        provider.generation = traits["resource_provider_generation"]
