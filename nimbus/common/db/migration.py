"""Schema migrations with Alembic, one history per database, in expand and contract branches.

Every database keeps its revisions in ``nimbus/<service>/db/migrations``,
labelled ``expand`` (additive: new tables, columns, indexes; safe while
older services run) or ``contract`` (removals that only the new release
tolerates). A rolling upgrade runs ``db sync --expand``, upgrades the
services, then runs ``db sync --contract``. A plain ``db sync`` runs both.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import command
from alembic import context as alembic_context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory

from nimbus.common.db.engine import Database

BRANCHES = ("expand", "contract")


@dataclass(frozen=True)
class Schema:
    """Where a database's migrations and metadata live."""

    name: str
    package: str  # e.g. "nimbus.identity.db"

    @property
    def script_location(self) -> str:
        module = importlib.import_module(self.package)
        return os.path.join(os.path.dirname(module.__file__ or ""), "migrations")

    @property
    def metadata(self) -> sa.MetaData:
        metadata: sa.MetaData = importlib.import_module(f"{self.package}.models").metadata
        return metadata

    @property
    def version_table(self) -> str:
        # A table per schema, so that several Nimbus databases may share one
        # physical database when an operator wants that.
        return f"alembic_version_{self.name}"


def _alembic_config(schema: Schema, conn: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", schema.script_location)
    cfg.attributes["schema"] = schema
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def run_env() -> None:
    """Body of every migrations/env.py: run online against the given connection."""
    cfg = alembic_context.config
    schema: Schema = cfg.attributes["schema"]
    conn = cfg.attributes["connection"]
    alembic_context.configure(
        connection=conn,
        target_metadata=schema.metadata,
        version_table=schema.version_table,
        render_as_batch=conn.dialect.name == "sqlite",
    )
    with alembic_context.begin_transaction():
        alembic_context.run_migrations()


def sync(db: Database, schema: Schema, branches: tuple[str, ...] = BRANCHES) -> None:
    """Bring `db` to the newest revision of each branch; a no-op when it is there."""
    for branch in branches:
        if branch not in BRANCHES:
            raise ValueError(f"unknown migration branch {branch!r}")
        with db.engine.begin() as conn:
            command.upgrade(_alembic_config(schema, conn), f"{branch}@head")


def current(db: Database, schema: Schema) -> dict[str, str | None]:
    """The revision each branch of `db` is at (None: never migrated).

    Alembic records only the heads, and drops a revision another one depends
    on (the contract base depends on the expand base), so the applied set
    is what the heads reach through parents and dependencies.
    """
    script = ScriptDirectory.from_config(_alembic_config(schema))
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"version_table": schema.version_table}
        )
        heads = ctx.get_current_heads()
    applied: set[str] = set()
    stack = list(heads)
    while stack:
        rev = script.get_revision(stack.pop())
        if rev is None or rev.revision in applied:
            continue
        applied.add(rev.revision)
        stack.extend(_names(rev.down_revision) + _names(rev.dependencies))
    result: dict[str, str | None] = dict.fromkeys(BRANCHES)
    for branch in BRANCHES:
        walk: Script | None = script.get_revision(f"{branch}@head")
        while walk is not None and walk.revision not in applied:
            down = _names(walk.down_revision)
            walk = script.get_revision(down[0]) if down else None
        result[branch] = walk.revision if walk is not None else None
    return result


def _names(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def newest(schema: Schema) -> dict[str, str]:
    """The head revision of each branch in the code."""
    script = ScriptDirectory.from_config(_alembic_config(schema))
    return {branch: script.get_revision(f"{branch}@head").revision for branch in BRANCHES}
