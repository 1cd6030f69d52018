"""The state of the hosts servers run on, as server bodies show it (2.16)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from nimbus.compute.db.cell import services
from nimbus.compute.db.cell.instances import InstanceRecord

if TYPE_CHECKING:
    from nimbus.compute.service import Compute


def host_status(compute: Compute, servers: Iterable[InstanceRecord]) -> dict[str, str]:
    """host -> UP, DOWN, MAINTENANCE (disabled) or UNKNOWN, for the hosts of `servers`."""
    by_cell: dict[str, set[str]] = {}
    for server in servers:
        if server.host and server.cell_uuid:
            by_cell.setdefault(server.cell_uuid, set()).add(server.host)
    now = datetime.datetime.now(datetime.UTC)
    down_time = compute.conf.compute.service_down_time
    found: dict[str, str] = {}
    for cell_uuid, hosts in by_cell.items():
        with compute.cells.db(cell_uuid).reader() as conn:
            agents = {s.host: s for s in services.list_services(conn, binary="nova-compute")}
        for host in hosts:
            service = agents.get(host)
            if service is None:
                found[host] = "UNKNOWN"
            elif not service.is_up(now, down_time):
                found[host] = "DOWN"
            elif service.disabled:
                found[host] = "MAINTENANCE"
            else:
                found[host] = "UP"
    return found
