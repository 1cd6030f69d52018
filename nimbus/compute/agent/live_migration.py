"""Live migration on the agents, as Nova's compute manager runs it.

The destination answers the conductor's check (check_can_live_migrate_
destination), then the source runs the migration: queued until one of
[compute] max_concurrent_live_migrations slots is free, preparing while the
destination sets up (pre_live_migration), running while the driver copies
the guest and reports progress into the migration record, completed once
the destination owns it (post_live_migration_at_destination) and the
source's allocations are gone. A failure or an abort rolls back: the
instance stays on the source as it was, its allocations are handed back,
the destination drops what it prepared, the migration ends failed or
cancelled.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Any

from nimbus.common import rpc
from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.agent.moving import GONE, MoveAgentBase
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.migration import Migration, migration_id
from nimbus.compute.virt import driver as virt

LOG = logging.getLogger(__name__)

_SETUP_LOCK = threading.Lock()


@dataclasses.dataclass
class LiveMigration:
    """One live migration under way from this host."""

    migration_id: int
    abort: threading.Event = dataclasses.field(default_factory=threading.Event)
    status: str = "queued"


class LiveMigrationMixin(MoveAgentBase):
    _live: dict[str, LiveMigration]
    _live_slots: threading.BoundedSemaphore | None

    def _live_setup(self) -> None:
        with _SETUP_LOCK:
            if "_live" not in self.__dict__:
                self._live = {}
                limit = int(self.conf.compute.max_concurrent_live_migrations)
                self._live_slots = threading.BoundedSemaphore(limit) if limit > 0 else None

    # --- on the destination ------------------------------------------------------------------

    @rpc.expected_exceptions(exc.MigrationPreCheckError)
    def check_can_live_migrate_destination(self, ctxt: RequestContext, instance: Instance,
                                           block_migration: bool | None) -> dict[str, Any]:
        """:raises MigrationPreCheckError: this host cannot take the guest."""
        if block_migration is None:  # "auto": no shared storage between fake hosts
            block_migration = self.driver.capabilities.block_migration
        with self._event(ctxt, instance.uuid, "check_can_live_migrate_destination"):
            try:
                return self.driver.check_can_live_migrate_destination(ctxt, instance,
                                                                      block_migration)
            except virt.DriverError as err:
                raise exc.MigrationPreCheckError(reason=str(err)) from None

    @rpc.expected_exceptions(exc.MigrationError)
    def pre_live_migration(self, ctxt: RequestContext, instance: Instance,
                           migrate_data: dict[str, Any]) -> dict[str, Any]:
        """:raises MigrationError:"""
        with self._event(ctxt, instance.uuid, "pre_live_migration"):
            try:
                return self.driver.pre_live_migration(ctxt, instance, migrate_data)
            except virt.DriverError as err:
                raise exc.MigrationError(reason=str(err)) from None

    def post_live_migration_at_destination(self, ctxt: RequestContext, instance: Instance,
                                           migration: Migration) -> None:
        with self._locked(instance.uuid), \
                self._event(ctxt, instance.uuid, "post_live_migration_at_destination"):
            self.driver.post_live_migration_at_destination(ctxt, instance)
            self._update(ctxt, instance, {
                "host": self.host, "node": migration.dest_node, "progress": 0,
                "power_state": self._guest_power_state(instance, states.RUNNING),
                "task_state": None}, expected=[states.MIGRATING])

    def rollback_live_migration_at_destination(self, ctxt: RequestContext,
                                               instance: Instance) -> None:
        with self._event(ctxt, instance.uuid, "rollback_live_migration_at_destination"):
            self.driver.rollback_live_migration_at_destination(ctxt, instance)

    # --- on the source -------------------------------------------------------------------------

    def live_migration(self, ctxt: RequestContext, instance: Instance, dest: str,
                       migration: Migration, migrate_data: dict[str, Any]) -> None:
        self._live_setup()
        live = LiveMigration(migration_id(migration))
        self._live[instance.uuid] = live
        try:
            with self._event(ctxt, instance.uuid, "live_migration"):
                self._migrate_live(ctxt, instance, dest, migration, migrate_data, live)
        except Exception as err:
            LOG.info("Live migration %s of %s ended early: %s", migration.uuid,
                     instance.uuid, err)
        finally:
            self._live.pop(instance.uuid, None)

    def _migrate_live(self, ctxt: RequestContext, instance: Instance, dest: str,
                      migration: Migration, migrate_data: dict[str, Any],
                      live: LiveMigration) -> None:
        migration = self._set_migration(ctxt, migration, {"status": "queued"})
        if not self._wait_for_slot(live):
            # An abort is what the caller asked for, not a failure of the action.
            self._roll_back(ctxt, instance, dest, migration, "cancelled", prepared=False)
            return
        try:
            self._run(ctxt, instance, dest, migration, migrate_data, live)
        finally:
            if self._live_slots is not None:
                self._live_slots.release()

    def _wait_for_slot(self, live: LiveMigration) -> bool:
        """Take a slot; False when aborted while waiting."""
        while self._live_slots is not None and not self._live_slots.acquire(timeout=0.1):
            if live.abort.is_set():
                return False
        if live.abort.is_set():
            if self._live_slots is not None:
                self._live_slots.release()
            return False
        return True

    def _run(self, ctxt: RequestContext, instance: Instance, dest: str, migration: Migration,
             migrate_data: dict[str, Any], live: LiveMigration) -> None:
        live.status = "preparing"
        migration = self._set_migration(ctxt, migration, {"status": "preparing"})
        try:
            migrate_data = self.compute_rpc.pre_live_migration(ctxt, dest, instance,
                                                               migrate_data)
        except Exception:
            self._roll_back(ctxt, instance, dest, migration, "failed", prepared=True)
            raise
        if live.abort.is_set():
            self._roll_back(ctxt, instance, dest, migration, "cancelled", prepared=True)
            return
        live.status = "running"
        migration = self._set_migration(ctxt, migration, {"status": "running"})
        try:
            self.driver.live_migration(ctxt, instance, dest, migrate_data,
                                       self._progress(ctxt, instance, migration, live))
        except virt.MigrationAborted:
            self._roll_back(ctxt, instance, dest, migration, "cancelled", prepared=True)
            return
        except virt.DriverError:
            self._roll_back(ctxt, instance, dest, migration, "failed", prepared=True)
            raise
        except Exception:
            self._error(ctxt, instance, "Live migration failed unexpectedly")
            self._quiet_migration(ctxt, migration, "error")
            raise
        self._post(ctxt, instance, dest, migration, migrate_data)

    def _progress(self, ctxt: RequestContext, instance: Instance, migration: Migration,
                  live: LiveMigration) -> Any:
        def report(values: dict[str, int]) -> None:
            if live.abort.is_set():
                # An abort that came as the copy started, before the driver could
                # hear of it: pass it on now.
                self._quietly(self.driver.live_migration_abort, instance)
            try:
                self._set_migration(ctxt, migration, dict(values))
                total = values.get("memory_total") or 0
                if total:
                    done = 100 * (values.get("memory_processed") or 0) // total
                    self._update(ctxt, instance, {"progress": done},
                                 expected=[states.MIGRATING])
            except Exception as err:  # progress is informative; the copy goes on
                LOG.debug("Progress of %s not recorded: %s", instance.uuid, err)

        return report

    def _post(self, ctxt: RequestContext, instance: Instance, dest: str,
              migration: Migration, migrate_data: dict[str, Any]) -> None:
        """The guest runs on `dest`: hand the instance over, clean up here."""
        try:
            self.compute_rpc.post_live_migration_at_destination(ctxt, dest, instance,
                                                                migration)
        except Exception as err:
            LOG.error("Handing %s over to %s failed: %s", instance.uuid, dest, err)
            self._error(ctxt, instance, f"Post live migration failed: {err}",
                        {"host": dest, "node": migration.dest_node})
            self._quiet_migration(ctxt, migration, "error")
            raise
        self._quietly(self.driver.destroy, ctxt, instance, [],
                      bool(migrate_data.get("block_migration")))
        self._set_migration(ctxt, migration, {"status": "completed"})
        self._drop_source_allocation(migration)

    def _roll_back(self, ctxt: RequestContext, instance: Instance, dest: str,
                   migration: Migration, status: str, prepared: bool) -> None:
        """The guest stays here: task cleared, allocations back, destination cleaned."""
        LOG.info("Rolling back live migration %s of %s (%s)", migration.uuid, instance.uuid,
                 status)
        self._revert_allocation(instance, migration)
        try:
            self._update(ctxt, instance, {"task_state": None, "progress": 0},
                         expected=[states.MIGRATING])
        except GONE as err:
            LOG.info("Instance %s moved on during its live migration: %s", instance.uuid, err)
        if prepared:
            try:
                self.compute_rpc.rollback_live_migration_at_destination(ctxt, dest, instance)
            except Exception:
                LOG.exception("Could not ask %s to drop what it prepared for %s", dest,
                              instance.uuid)
        self._quiet_migration(ctxt, migration, status)

    # --- an agent that stopped in the middle of one -----------------------------------------

    def reset_live_migration(self, ctxt: RequestContext, instance: Instance) -> None:
        """The agent stopped while `instance` was migrating away: the guest is
        still here, so the migration ends in error and is rolled back (Nova's
        _reset_live_migration, which also gives the allocations back here)."""
        LOG.warning("Instance %s was live-migrating when this agent stopped; rolling back",
                    instance.uuid)
        for migration in self.conductor.migrations_in_progress(ctxt, instance.uuid,
                                                              "live-migration"):
            if migration.source_compute != self.host:
                continue
            self._revert_allocation(instance, migration)
            if migration.dest_compute:
                try:
                    self.compute_rpc.rollback_live_migration_at_destination(
                        ctxt, migration.dest_compute, instance)
                except Exception:
                    LOG.exception("Could not ask %s to drop what it prepared for %s",
                                  migration.dest_compute, instance.uuid)
            self._quiet_migration(ctxt, migration, "error")
        try:
            self._update(ctxt, instance, {"task_state": None, "progress": 0},
                         expected=[states.MIGRATING])
        except GONE as err:
            LOG.info("Instance %s moved on meanwhile: %s", instance.uuid, err)

    # --- abort and force complete ----------------------------------------------------------------

    def live_migration_abort(self, ctxt: RequestContext, instance: Instance,
                             migration_id: int) -> None:
        self._live_setup()
        try:
            with self._event(ctxt, instance.uuid, "live_migration_abort"):
                live = self._live.get(instance.uuid)
                if live is None or live.migration_id != migration_id:
                    current = self.conductor.migration_get(ctxt, migration_id)
                    raise exc.InvalidMigrationState(
                        migration_id=migration_id, instance_uuid=instance.uuid,
                        state=current.status, method="abort live migration")
                live.abort.set()
                if live.status == "running":
                    self.driver.live_migration_abort(instance)
        except Exception as err:  # recorded in the action's event
            LOG.info("Aborting the live migration of %s failed: %s", instance.uuid, err)

    def live_migration_force_complete(self, ctxt: RequestContext,
                                      instance: Instance) -> None:
        try:
            with self._event(ctxt, instance.uuid, "live_migration_force_complete"):
                self.driver.live_migration_force_complete(instance)
        except Exception as err:  # recorded in the action's event
            LOG.info("Forcing the live migration of %s failed: %s", instance.uuid, err)
