"""What an agent's moves share: calls to other agents, migration records
through the conductor, allocations held by a migration, and the end of a
move whose instance went away or failed.

Each step of a move runs on one agent under the instance's lock, changes
the instance only from the task state it expects, and ends in a final
state when it fails: the instance back as it was (its task cleared) when
nothing was touched, ERROR with a fault otherwise, the migration in error
and the allocations where the instance is.
"""

from __future__ import annotations

import logging
from typing import Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute.agent.base import AgentBase
from nimbus.compute.agent.rpcapi import ComputeAPI
from nimbus.compute.objects.flavor import Flavor
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.migration import Migration, migration_id
from nimbus.compute.placement import CONSUMER_TYPE

LOG = logging.getLogger(__name__)

# What the instance loses track of when a move it was part of went away.
GONE = (exc.InstanceNotFound, exc.UnexpectedTaskState)


def flavor_values(flavor: Flavor) -> dict[str, Any]:
    """The instance columns (and flavor) that follow from its flavor."""
    return {"flavor": flavor.to_dict(), "instance_type_id": flavor.id,
            "memory_mb": flavor.memory_mb, "vcpus": flavor.vcpus,
            "root_gb": flavor.root_gb, "ephemeral_gb": flavor.ephemeral_gb}


def without_old_vm_state(instance: Instance) -> dict[str, str | None]:
    return {k: v for k, v in instance.system_metadata.items() if k != "old_vm_state"}


class MoveAgentBase(AgentBase):
    _compute_rpc: ComputeAPI | None = None

    @property
    def compute_rpc(self) -> ComputeAPI:
        """The agents' RPC API, for the steps a move hands to another host."""
        if self._compute_rpc is None:
            self._compute_rpc = ComputeAPI(self.conf)
        return self._compute_rpc

    def _set_migration(self, ctxt: RequestContext, migration: Migration,
                       values: dict[str, Any],
                       expected: list[str] | None = None) -> Migration:
        return self.conductor.migration_update(ctxt, migration_id(migration), values,
                                               expected_status=expected)

    def _quiet_migration(self, ctxt: RequestContext, migration: Migration,
                         status: str) -> None:
        """Bookkeeping on a failure path: a migration that cannot be updated is logged."""
        try:
            self._set_migration(ctxt, migration, {"status": status})
        except Exception:
            LOG.exception("Could not set migration %s %s", migration.uuid, status)

    def _revert_allocation(self, instance: Instance, migration: Migration) -> None:
        """What the migration holds on the source goes back to the instance,
        replacing its claim on the destination."""
        try:
            self.placement.move_allocations(migration.uuid, instance.uuid,
                                            instance.project_id, instance.user_id,
                                            target_type=CONSUMER_TYPE)
        except Exception:
            LOG.exception("Could not give the allocations of migration %s back to %s",
                          migration.uuid, instance.uuid)

    def _drop_source_allocation(self, migration: Migration) -> None:
        """The source is cleaned up: what the migration held there goes."""
        self._release(migration.uuid)

    def _rollback(self, ctxt: RequestContext, instance: Instance, expected: list[str | None],
                  message: str, values: dict[str, Any] | None = None) -> None:
        """The instance as it was before the move, its task cleared, with a fault."""
        try:
            self._update(ctxt, instance, {"task_state": None, **(values or {})},
                         expected=expected)
            self.conductor.instance_fault_create(ctxt, instance.uuid, 500, message, None,
                                                 self.host)
        except GONE as err:
            LOG.info("Instance %s moved on before its move was rolled back: %s",
                     instance.uuid, err)

    def _abandon(self, ctxt: RequestContext, instance: Instance, migration: Migration,
                 reason: Exception) -> None:
        """The instance was deleted (or another action took it over) during the
        move: the delete cleans up where the instance is; the allocations its
        migration holds go here."""
        LOG.info("Abandoning migration %s of %s: %s", migration.uuid, instance.uuid, reason)
        self._drop_source_allocation(migration)
        self._quiet_migration(ctxt, migration, "error")

    def _guest_power_state(self, instance: Instance, default: int) -> int:
        try:
            return self.driver.get_info(instance).power_state
        except Exception:
            return default

    def _host_ip(self, node: str | None) -> str:
        try:
            found = self.driver.get_node_resources(node or self.host).host_ip
        except Exception:
            found = None
        return found or self.host

    def _node_uuid(self, node: str | None) -> str | None:
        return self.tracker.node_uuids.get(node or self.host)
