"""The client side of the conductor's RPC API.

Two audiences: the API casts builds and moves to the conductor of the API
level (the "super" conductor, on the API's transport); compute agents call
the conductor of their cell for everything that touches the database,
since they hold no database credentials.
"""

from __future__ import annotations

from typing import Any

from nimbus.common import rpc
from nimbus.common.context import RequestContext
from nimbus.compute.objects.image import ImageMeta
from nimbus.compute.objects.instance import Instance
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection

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
            methods=("schedule_and_build_instances", "build_instances", "instance_get",
                     "instance_update", "instance_destroy", "instances_on_host",
                     "instance_fault_create", "action_event_start", "action_event_finish",
                     "service_register", "service_heartbeat", "compute_node_update",
                     "instances_get_deleted", "instance_action_start",
                     "instance_group_get"),
            objects=OBJECTS_1_0),
    )

    # --- from the API ----------------------------------------------------------

    def schedule_and_build_instances(self, ctxt: RequestContext, specs: list[RequestSpec],
                                     image: ImageMeta, admin_password: str | None,
                                     injected_files: list[tuple[str, str]],
                                     requested_networks: Any) -> None:
        self.cast(ctxt, "schedule_and_build_instances", specs=specs, image=image,
                  admin_password=admin_password, injected_files=injected_files,
                  requested_networks=requested_networks)

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
