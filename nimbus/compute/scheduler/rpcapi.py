"""The client side of the scheduler's RPC API."""

from __future__ import annotations

from nimbus.common import rpc
from nimbus.common.context import RequestContext
from nimbus.compute.objects.request_spec import RequestSpec
from nimbus.compute.objects.selection import Selection

OBJECTS_1_0 = {"RequestSpec": "1.0", "Flavor": "1.0", "ImageMeta": "1.0", "Selection": "1.0"}


class SchedulerAPI(rpc.RPCAPI):
    NAME = "scheduler"
    TOPIC = "scheduler"
    HISTORY = (
        rpc.APIVersion("1.0", "first version", methods=("select_destinations",),
                       objects=OBJECTS_1_0),
    )

    def select_destinations(self, ctxt: RequestContext, spec: RequestSpec,
                            instance_uuids: list[str],
                            return_alternates: bool = True) -> list[list[Selection]]:
        """A host (claimed in placement) and its alternates for each instance.

        :raises NoValidHost:
        """
        result: list[list[Selection]] = self.call(
            ctxt, "select_destinations", spec=spec, instance_uuids=instance_uuids,
            return_alternates=return_alternates)
        return result
