"""`nimbus`: the command line of every Nimbus process and tool."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from nimbus import __version__


def _config_args(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a subcommand level that does not see the option must not
    # reset what an outer level was given.
    parser.add_argument(
        "--config-file", action="append", default=argparse.SUPPRESS, metavar="PATH",
        help="An INI configuration file (repeatable; later files win).")


def config_files(args: argparse.Namespace) -> list[str]:
    return list(getattr(args, "config_file", None) or [])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nimbus", description=__doc__)
    parser.add_argument("--version", action="version", version=f"nimbus {__version__}")
    _config_args(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="Run the all-in-one cloud in one process.")
    _config_args(up)
    up.add_argument("--host", help="Address to listen on (default 127.0.0.1).")
    up.add_argument("--port", type=int, help="Port to listen on (default 8080).")
    up.add_argument("--data-dir", help="Where to keep data (default ./nimbus-data).")
    up.add_argument("--clouds-yaml", metavar="PATH",
                    help="Write the `nimbus` cloud into this clouds.yaml (default "
                         "~/.config/openstack/clouds.yaml; other clouds in it are kept).")
    up.add_argument("--cloud-name", default="nimbus", help="Cloud name in clouds.yaml.")
    up.add_argument("--fake-hosts", type=int, metavar="N",
                    help="With the fake virt driver (the default), run N fake compute "
                         "hosts (default 2).")

    api = commands.add_parser("api", help="Serve the APIs of some services.")
    _config_args(api)
    api.add_argument("--service", action="append", dest="services", metavar="NAME",
                     help="A service to serve (repeatable; default: [api] enabled_services).")
    api.add_argument("--host", help="Address to listen on ([api] bind_host).")
    api.add_argument("--port", type=int, help="Port to listen on ([api] bind_port).")
    api.add_argument("--workers", type=int, help="Worker processes ([api] workers).")

    manage = commands.add_parser("manage", help="Administrative tasks.")
    _config_args(manage)
    tasks = manage.add_subparsers(dest="task", required=True, metavar="TASK")
    db = tasks.add_parser("db", help="Database schemas.")
    _config_args(db)
    db_actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    sync = db_actions.add_parser("sync", help="Create or upgrade the schemas (idempotent).")
    _config_args(sync)
    phase = sync.add_mutually_exclusive_group()
    phase.add_argument("--expand", action="store_true",
                       help="Only additive changes (before upgrading services).")
    phase.add_argument("--contract", action="store_true",
                       help="Only removals (after every service is upgraded).")
    version = db_actions.add_parser("version", help="Show the schema revision of each database.")
    _config_args(version)

    boot = tasks.add_parser("bootstrap", help="Create the default domain, roles, admin and catalog.")
    _config_args(boot)
    boot.add_argument("--bootstrap-password", help="Admin password (default: "
                      "$NIMBUS_ADMIN_PASSWORD; required when the admin does not exist).")

    for name, helptext in (("fernet", "Token keys."), ("credential", "Credential keys.")):
        keys = tasks.add_parser(name, help=helptext)
        _config_args(keys)
        key_actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
        for action in ("setup", "rotate"):
            sub = key_actions.add_parser(action, help=f"{action.capitalize()} the keys.")
            _config_args(sub)

    cells = tasks.add_parser("cell_v2", help="Cells v2: cell0, cells, host mappings.")
    _config_args(cells)
    cell_actions = cells.add_subparsers(dest="action", required=True, metavar="ACTION")
    map0 = cell_actions.add_parser("map_cell0", help="Map cell0 (idempotent).")
    _config_args(map0)
    map0.add_argument("--database_connection", help="cell0's database URL (default: "
                      "[cell0_database] connection).")
    create = cell_actions.add_parser("create_cell", help="Map a new cell.")
    _config_args(create)
    create.add_argument("--name", required=True, help="The cell's name.")
    create.add_argument("--database_connection", help="Its database URL (default: "
                        "[cell_database] connection).")
    create.add_argument("--transport-url", dest="transport_url", help="Its message "
                        "broker URL (default: [DEFAULT] transport_url).")
    create.add_argument("--disabled", action="store_true",
                        help="Schedule nothing to it until enabled.")
    listing = cell_actions.add_parser("list_cells", help="List the cells.")
    _config_args(listing)
    listing.add_argument("--verbose", action="store_true", help="Show URLs with passwords.")
    discover = cell_actions.add_parser("discover_hosts",
                                       help="Map the hosts of new compute nodes to their cells.")
    _config_args(discover)
    discover.add_argument("--verbose", action="store_true", help="Name the hosts mapped.")
    delete = cell_actions.add_parser("delete_cell", help="Unmap an empty cell.")
    _config_args(delete)
    delete.add_argument("--cell_uuid", required=True, help="The cell's uuid.")
    hosts = cell_actions.add_parser("list_hosts", help="List the host mappings.")
    _config_args(hosts)

    from nimbus.cmd import services

    services.add_parsers(commands, _config_args)

    cfg = commands.add_parser("config", help="Configuration sample and reference.")
    _config_args(cfg)
    cfg_actions = cfg.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action in ("sample", "reference"):
        sub = cfg_actions.add_parser(action, help=f"Print the configuration {action}.")
        _config_args(sub)
        sub.add_argument("--output", metavar="PATH", help="Write to a file.")

    pol = commands.add_parser("policy", help="Policy defaults.")
    _config_args(pol)
    pol_actions = pol.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action in ("sample", "reference"):
        sub = pol_actions.add_parser(action, help=f"Print the policy {action}.")
        _config_args(sub)
        sub.add_argument("--output", metavar="PATH", help="Write to a file.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "up":
        from nimbus.cmd import up

        return up.run(args)
    if args.command == "api":
        from nimbus.cmd import api

        return api.run(args)
    if args.command == "manage":
        from nimbus.cmd import manage

        return manage.run(args)
    if args.command in ("conductor", "scheduler", "compute"):
        from nimbus.cmd import services

        return services.run(args)
    from nimbus.cmd import samples

    return samples.run(args)


if __name__ == "__main__":
    sys.exit(main())
