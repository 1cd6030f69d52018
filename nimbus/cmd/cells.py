"""`nimbus manage cell_v2`: cell0, cells and host mappings (Nova's nova-manage cell_v2)."""

from __future__ import annotations

import argparse
import re
import sys

from nimbus.common import config
from nimbus.compute import cell_setup
from nimbus.compute import exceptions as exc
from nimbus.compute.db import mappings
from nimbus.deploy import Deployment


def _mask(url: str | None) -> str:
    """A URL with its password hidden, as nova-manage lists them."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1****@", url or "")


def run(deployment: Deployment, args: argparse.Namespace) -> int:
    conf = deployment.conf
    runtime = deployment.compute_runtime
    assert runtime is not None, "cell_v2 needs the compute service in [api] enabled_services"
    api_db = deployment.database("api")
    if args.action == "map_cell0":
        url = args.database_connection or config.database_url(conf, "cell0")
        cell = cell_setup.map_cell0(api_db, url)
        print(f"cell0 is {cell.uuid}")
        return 0
    if args.action == "create_cell":
        url = args.database_connection or config.database_url(conf, "cell")
        transport = args.transport_url or str(conf.transport_url)
        with api_db.writer() as conn:
            try:
                cell = mappings.create_cell(conn, args.name, transport, url,
                                            disabled=args.disabled)
            except exc.CellExists as err:
                sys.stderr.write(f"{err}\n")
                return 2
        print(cell.uuid)
        return 0
    if args.action == "list_cells":
        with api_db.reader() as conn:
            found = mappings.list_cells(conn)
        show = (lambda u: u or "") if args.verbose else _mask
        print(f"{'Name':<10} {'UUID':<36} {'Transport URL':<40} {'Database Connection':<50} "
              "Disabled")
        for cell in sorted(found, key=lambda c: c.name or ""):
            print(f"{cell.name or '':<10} {cell.uuid:<36} {show(cell.transport_url):<40} "
                  f"{show(cell.database_connection):<50} {cell.disabled}")
        return 0
    if args.action == "discover_hosts":
        added = runtime.discover_hosts()
        if args.verbose:
            for host in added:
                print(f"Mapped host {host}")
        return 0
    if args.action == "delete_cell":
        with api_db.writer() as conn:
            try:
                mappings.delete_cell(conn, args.cell_uuid)
            except exc.CellMappingNotFound:
                sys.stderr.write(f"Cell with uuid {args.cell_uuid} was not found.\n")
                return 1
            except exc.CellInUse:
                sys.stderr.write("There are existing hosts or instances mapped to cell with "
                                 f"uuid {args.cell_uuid}.\n")
                return 2
        return 0
    with api_db.reader() as conn:
        hosts = mappings.host_cells(conn)
        names = {c.uuid: c.name for c in mappings.list_cells(conn)}
    print(f"{'Cell Name':<12} {'Cell UUID':<36} Hostname")
    for host, cell_uuid in sorted(hosts.items()):
        print(f"{names.get(cell_uuid) or '':<12} {cell_uuid:<36} {host}")
    return 0
