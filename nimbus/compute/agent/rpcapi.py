"""The client side of the compute agents' RPC API: calls to one host's agent.

Every call names its host (``prepare(server=host)``); a cell's agents are
reached over the cell's transport, so callers make one client per cell.
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


class ComputeAPI(rpc.RPCAPI):
    NAME = "compute"
    TOPIC = "compute"
    CARRIES_TOKEN = True
    HISTORY = (
        rpc.APIVersion("1.0", "first version",
                       methods=("build_and_run_instance", "terminate_instance",
                                "stop_instance", "start_instance", "reboot_instance",
                                "pause_instance", "unpause_instance", "suspend_instance",
                                "resume_instance", "trigger_crash_dump", "set_admin_password",
                                "get_console_output", "get_instance_diagnostics",
                                "get_remote_console", "soft_delete_instance",
                                "restore_instance", "external_instance_event"),
                       objects=OBJECTS_1_0),
    )

    def build_and_run_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                               image: ImageMeta, spec: RequestSpec,
                               admin_password: str | None,
                               injected_files: list[tuple[str, str]],
                               requested_networks: Any, node: str,
                               host_list: list[Selection]) -> None:
        self.prepare(server=host).cast(
            ctxt, "build_and_run_instance", instance=instance, image=image, spec=spec,
            admin_password=admin_password, injected_files=injected_files,
            requested_networks=requested_networks, node=node, host_list=host_list)

    def terminate_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "terminate_instance", instance=instance)

    def stop_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                      clean_shutdown: bool = True) -> None:
        self.prepare(server=host).cast(ctxt, "stop_instance", instance=instance,
                                       clean_shutdown=clean_shutdown)

    def start_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "start_instance", instance=instance)

    # --- the guest ---------------------------------------------------------------

    def reboot_instance(self, ctxt: RequestContext, host: str, instance: Instance,
                        reboot_type: str) -> None:
        self.prepare(server=host).cast(ctxt, "reboot_instance", instance=instance,
                                       reboot_type=reboot_type)

    def pause_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "pause_instance", instance=instance)

    def unpause_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "unpause_instance", instance=instance)

    def suspend_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "suspend_instance", instance=instance)

    def resume_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "resume_instance", instance=instance)

    def trigger_crash_dump(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "trigger_crash_dump", instance=instance)

    def set_admin_password(self, ctxt: RequestContext, host: str, instance: Instance,
                           new_pass: str) -> None:
        """A call: :raises InstancePasswordSetFailed: :raises NotSupported:"""
        self.prepare(server=host).call(ctxt, "set_admin_password", instance=instance,
                                       new_pass=new_pass)

    def get_console_output(self, ctxt: RequestContext, host: str, instance: Instance,
                           tail_length: int | None) -> str:
        """:raises ConsoleNotAvailable: :raises NotSupported:"""
        result: str = self.prepare(server=host).call(
            ctxt, "get_console_output", instance=instance, tail_length=tail_length)
        return result

    def get_instance_diagnostics(self, ctxt: RequestContext, host: str,
                                 instance: Instance) -> dict[str, Any]:
        """:raises InstanceInvalidState: not running. :raises NotSupported:"""
        result: dict[str, Any] = self.prepare(server=host).call(
            ctxt, "get_instance_diagnostics", instance=instance)
        return result

    def get_remote_console(self, ctxt: RequestContext, host: str, instance: Instance,
                           protocol: str, console_type: str) -> dict[str, Any]:
        """:raises ConsoleTypeUnavailable: :raises ConsoleTypeInvalid:"""
        result: dict[str, Any] = self.prepare(server=host).call(
            ctxt, "get_remote_console", instance=instance, protocol=protocol,
            console_type=console_type)
        return result

    # --- soft deletes, external events ----------------------------------------------

    def soft_delete_instance(self, ctxt: RequestContext, host: str,
                             instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "soft_delete_instance", instance=instance)

    def restore_instance(self, ctxt: RequestContext, host: str, instance: Instance) -> None:
        self.prepare(server=host).cast(ctxt, "restore_instance", instance=instance)

    def external_instance_event(self, ctxt: RequestContext, host: str,
                                instances: list[Instance],
                                events: list[dict[str, Any]]) -> None:
        self.prepare(server=host).cast(ctxt, "external_instance_event", instances=instances,
                                       events=events)
