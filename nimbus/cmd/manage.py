"""`nimbus manage`: schemas, bootstrap and keys."""

from __future__ import annotations

import argparse
import os
import sys

from nimbus.cmd.main import config_files
from nimbus.common import config, log
from nimbus.common.db import migration
from nimbus.deploy import DATABASE_SCHEMAS, Deployment
from nimbus.identity.db import credentials, domain_configs


def run(args: argparse.Namespace) -> int:
    conf = config.make_conf(config_files=config_files(args))
    log.setup(conf)
    deployment = Deployment(conf, list(config.SERVICES))
    try:
        if args.task == "db":
            return _db(deployment, args)
        if args.task == "cell_v2":
            from nimbus.cmd import cells

            return cells.run(deployment, args)
        if args.task == "bootstrap":
            password = args.bootstrap_password or os.environ.get("NIMBUS_ADMIN_PASSWORD")
            try:
                result = deployment.bootstrap(password)
            except ValueError as exc:
                sys.stderr.write(f"{exc}: pass --bootstrap-password\n")
                return 1
            print(f"admin user {result.admin_user_id}, project {result.admin_project_id}")
            return 0
        return _keys(deployment, args)
    finally:
        deployment.close()


def _db(deployment: Deployment, args: argparse.Namespace) -> int:
    if args.action == "sync":
        branches: tuple[str, ...] = migration.BRANCHES
        if args.expand:
            branches = ("expand",)
        elif args.contract:
            branches = ("contract",)
        deployment.sync_databases(branches)
        return 0
    status = 0
    for name in deployment.database_names():
        schema = DATABASE_SCHEMAS[name]
        current = migration.current(deployment.database(name), schema)
        newest = migration.newest(schema)
        for branch in migration.BRANCHES:
            state = "up to date" if current[branch] == newest[branch] else f"newest is {newest[branch]}"
            print(f"{name} {branch}: {current[branch] or 'none'} ({state})")
            if current[branch] != newest[branch]:
                status = 2
    return status


def _keys(deployment: Deployment, args: argparse.Namespace) -> int:
    ident = deployment.identity
    assert ident is not None
    repo = ident.keys if args.task == "fernet" else ident.credential_keys
    if args.action == "setup":
        created = repo.setup()
        print(f"{'created' if created else 'kept the existing'} keys in {repo.path}")
        return 0
    primary = repo.rotate()
    print(f"rotated the keys in {repo.path}: primary key is now {primary}")
    if args.task == "credential":
        # Everything encrypted with the credential keys moves to the new
        # primary key, before rotation can drop the key it was made with.
        fernet = repo.fernet()

        def rotate(token: str) -> str:
            padded = (token + "=" * (-len(token) % 4)).encode()
            return fernet.rotate(padded).decode().rstrip("=")

        with ident.db.writer() as conn:
            count = credentials.reencrypt_all(conn, rotate)
            count += domain_configs.reencrypt_all(conn, rotate)
        print(f"re-encrypted {count} secrets with the new primary key")
    return 0
