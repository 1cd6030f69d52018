"""The client side of the conductor's RPC API.

Two audiences: the API casts builds and moves to the conductor of the API
level (the "super" conductor, on the API's transport); compute agents call
the conductor of their cell for everything that touches the database,
since they hold no database credentials.
"""

from __future__ import annotations

import logging
from typing import Any

from nimbus.common import rpc
from nimbus.common.context import RequestContext
from nimbus.common.messaging import oslo_messaging
from nimbus.compute.objects.flavor import Flavor
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.migration import Migration
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection

LOG = logging.getLogger(__name__)

OBJECTS_1_0 = {"Instance": "1.0", "Flavor": "1.0", "ImageMeta": "1.0", "RequestSpec": "1.0",
               "Selection": "1.0", "Migration": "1.0"}


class ConductorAPI(rpc.RPCAPI):
    NAME = "conductor"
    TOPIC = "conductor"
    # The API hands builds over with the caller's token, so that the agent can
    # later act for the user (ports, volumes) as Nova does.
    CARRIES_TOKEN = True
    HISTORY = (
        rpc.APIVersion(
            "1.0", "first version",
            methods=("ping", "schedule_and_build_instances", "build_instances", "instance_get",
                     "instance_update", "instance_destroy", "instances_on_host",
                     "instance_fault_create", "action_event_start", "action_event_finish",
                     "service_register", "service_heartbeat", "compute_node_update",
                     # moves (conductor/moves.py and beside it)
                     "migrate_server", "live_migrate_instance", "evacuate_instance",
                     "migration_get", "migration_update", "migrations_in_progress",
                     "evacuations_from",
                     # scheduling, failures and repairs (conductor/builds.py)
                     "instances_get_deleted", "instance_action_start",
                     "instance_group_get",
                     # images: a rebuild checks the new image fits its host;
                     # an offloaded server is unshelved through the scheduler
                     "rebuild_instance", "unshelve_instance"),
            objects=OBJECTS_1_0),
    )

    def wait_until_ready(self, ctxt: RequestContext, attempt_timeout: float = 5.0) -> None:
        """Block until some conductor answers (Nova's wait_until_ready): a call
        to a topic nobody consumes yet is lost, not queued, so agents starting
        before their conductor must wait for it."""
        attempt = 0
        while True:
            try:
                self.prepare(timeout=attempt_timeout).call(ctxt, "ping")
                return
            except oslo_messaging.MessagingTimeout:
                attempt += 1
                LOG.warning("No conductor answered on topic %s (attempt %d); waiting",
                            self.topic, attempt)

    # --- from the API ----------------------------------------------------------

    def schedule_and_build_instances(self, ctxt: RequestContext, specs: list[RequestSpec],
                                     image: ImageMeta, admin_password: str | None,
                                     injected_files: list[tuple[str, str]],
                                     requested_networks: Any) -> None:
        self.cast(ctxt, "schedule_and_build_instances", specs=specs, image=image,
                  admin_password=admin_password, injected_files=injected_files,
                  requested_networks=requested_networks)

    def migrate_server(self, ctxt: RequestContext, instance: Instance, flavor: Flavor,
                       spec: RequestSpec, clean_shutdown: bool = True) -> None:
        """Resize (a new flavor) or cold-migrate (the same) an instance whose
        task state the API set to resize_prep."""
        self.cast(ctxt, "migrate_server", instance=instance, flavor=flavor, spec=spec,
                  clean_shutdown=clean_shutdown)

    def live_migrate_instance(self, ctxt: RequestContext, instance: Instance,
                              host: str | None, force: bool, block_migration: bool | None,
                              spec: RequestSpec, wait: bool = False) -> None:
        """Live-migrate an instance (task state migrating) to `host`, or where
        the scheduler says; `wait` (before microversion 2.34) makes the checks
        synchronous, so that their failures reach the caller.

        :raises NoValidHost: :raises MigrationPreCheckError: ... (only with `wait`)
        """
        kwargs = {"instance": instance, "host": host, "force": force,
                  "block_migration": block_migration, "spec": spec, "wait": wait}
        if wait:
            self.call(ctxt, "live_migrate_instance", **kwargs)
        else:
            self.cast(ctxt, "live_migrate_instance", **kwargs)

    def evacuate_instance(self, ctxt: RequestContext, instance: Instance,
                          migration: Migration, host: str | None, spec: RequestSpec,
                          admin_password: str | None, target_state: str | None) -> None:
        """Rebuild an instance whose host is down on `host` (forced) or where
        the scheduler says."""
        self.cast(ctxt, "evacuate_instance", instance=instance, migration=migration,
                  host=host, spec=spec, admin_password=admin_password,
                  target_state=target_state)

    def rebuild_instance(self, ctxt: RequestContext, instance: Instance, image: ImageMeta,
                         orig_image_ref: str, orig_system_metadata: dict[str, str | None],
                         admin_password: str | None, injected_files: list[tuple[str, str]],
                         preserve_ephemeral: bool) -> None:
        """Rebuild on the instance's host; a new image must suit that host
        (else the server goes back to its old image, in ERROR)."""
        self.cast(ctxt, "rebuild_instance", instance=instance, image=image,
                  orig_image_ref=orig_image_ref, orig_system_metadata=orig_system_metadata,
                  admin_password=admin_password, injected_files=injected_files,
                  preserve_ephemeral=preserve_ephemeral)

    def unshelve_instance(self, ctxt: RequestContext, instance: Instance) -> None:
        """Power a shelved instance on, or schedule an offloaded one anew."""
        self.cast(ctxt, "unshelve_instance", instance=instance)

    # --- from the agents ------------------------------------------------------------

    def build_instances(self, ctxt: RequestContext, instance: Instance, spec: RequestSpec,
                        image: ImageMeta, admin_password: str | None,
                        injected_files: list[tuple[str, str]], requested_networks: Any,
                        host_list: list[Selection]) -> None:
        """Reschedule a build that failed on its host to one of `host_list`."""
        self.cast(ctxt, "build_instances", instance=instance, spec=spec, image=image,
                  admin_password=admin_password, injected_files=injected_files,
                  requested_networks=requested_networks, host_list=host_list)

    def instance_get(self, ctxt: RequestContext, instance_uuid: str) -> Instance:
        result: Instance = self.call(ctxt, "instance_get", instance_uuid=instance_uuid)
        return result

    def instance_update(self, ctxt: RequestContext, instance_uuid: str, values: dict[str, Any],
                        expected_task_state: list[str | None] | None = None,
                        expected_vm_state: list[str] | None = None) -> Instance:
        """:raises UnexpectedTaskState: :raises InstanceNotFound:"""
        result: Instance = self.call(
            ctxt, "instance_update", instance_uuid=instance_uuid, values=values,
            expected_task_state=expected_task_state, expected_vm_state=expected_vm_state)
        return result

    def instance_destroy(self, ctxt: RequestContext, instance_uuid: str) -> None:
        self.call(ctxt, "instance_destroy", instance_uuid=instance_uuid)

    def instances_on_host(self, ctxt: RequestContext, host: str) -> list[Instance]:
        result: list[Instance] = self.call(ctxt, "instances_on_host", host=host)
        return result

    def instances_get_deleted(self, ctxt: RequestContext,
                              instance_uuids: list[str]) -> list[Instance]:
        """Which of `instance_uuids` the cell has deleted."""
        result: list[Instance] = self.call(ctxt, "instances_get_deleted",
                                           instance_uuids=instance_uuids)
        return result

    def instance_action_start(self, ctxt: RequestContext, instance_uuid: str,
                              action: str) -> None:
        self.call(ctxt, "instance_action_start", instance_uuid=instance_uuid, action=action)

    def instance_group_get(self, ctxt: RequestContext,
                           group_uuid: str) -> dict[str, Any] | None:
        """A server group's policy, rules, members and their hosts in the
        cell; None when it is gone or cannot be read."""
        result: dict[str, Any] | None = self.call(ctxt, "instance_group_get",
                                                  group_uuid=group_uuid)
        return result

    def instance_fault_create(self, ctxt: RequestContext, instance_uuid: str, code: int,
                              message: str, details: str | None, host: str | None) -> None:
        self.call(ctxt, "instance_fault_create", instance_uuid=instance_uuid, code=code,
                  message=message, details=details, host=host)

    def action_event_start(self, ctxt: RequestContext, instance_uuid: str, event: str,
                           host: str | None) -> None:
        self.call(ctxt, "action_event_start", instance_uuid=instance_uuid, event=event,
                  host=host)

    def action_event_finish(self, ctxt: RequestContext, instance_uuid: str, event: str,
                            result: str, traceback: str | None = None) -> None:
        self.call(ctxt, "action_event_finish", instance_uuid=instance_uuid, event=event,
                  result=result, traceback=traceback)

    def service_register(self, ctxt: RequestContext, host: str, binary: str, topic: str,
                         version: int) -> dict[str, Any]:
        """The service record of (host, binary), created if new."""
        result: dict[str, Any] = self.call(ctxt, "service_register", host=host, binary=binary,
                                           topic=topic, version=version)
        return result

    def service_heartbeat(self, ctxt: RequestContext, service_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self.call(ctxt, "service_heartbeat", service_id=service_id)
        return result

    def compute_node_update(self, ctxt: RequestContext, host: str, nodename: str,
                            service_id: int, values: dict[str, Any]) -> dict[str, Any]:
        """Create or update a compute node record; the record (with its uuid)."""
        result: dict[str, Any] = self.call(ctxt, "compute_node_update", host=host,
                                           nodename=nodename, service_id=service_id,
                                           values=values)
        return result

    def migration_get(self, ctxt: RequestContext, migration_id: int) -> Migration:
        result: Migration = self.call(ctxt, "migration_get", migration_id=migration_id)
        return result

    def migration_update(self, ctxt: RequestContext, migration_id: int,
                         values: dict[str, Any],
                         expected_status: list[str] | None = None) -> Migration:
        """:raises InvalidMigrationState: the status was not one of `expected_status`."""
        result: Migration = self.call(ctxt, "migration_update", migration_id=migration_id,
                                      values=values, expected_status=expected_status)
        return result

    def migrations_in_progress(self, ctxt: RequestContext, instance_uuid: str,
                               migration_type: str | None = None) -> list[Migration]:
        """An instance's migrations under way (queued, preparing, running,
        post-migrating), oldest first."""
        result: list[Migration] = self.call(ctxt, "migrations_in_progress",
                                            instance_uuid=instance_uuid,
                                            migration_type=migration_type)
        return result

    def evacuations_from(self, ctxt: RequestContext, host: str) -> list[dict[str, Any]]:
        """Evacuations away from `host` not yet cleaned up there: each
        {"migration", "instance" (None once purged), "source_node_uuid"}."""
        result: list[dict[str, Any]] = self.call(ctxt, "evacuations_from", host=host)
        return result
