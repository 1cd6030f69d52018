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
                                "stop_instance", "start_instance", "set_host_enabled"),
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

    def set_host_enabled(self, ctxt: RequestContext, host: str, enabled: bool) -> str:
        """Tell an agent its service was enabled or disabled, so that it sets
        or clears COMPUTE_STATUS_DISABLED now; "enabled" or "disabled"."""
        result: str = self.prepare(server=host).call(ctxt, "set_host_enabled",
                                                     enabled=enabled)
        return result
