"""The identity database: tables, migrations and queries."""

from nimbus.common.db.migration import Schema

SCHEMA = Schema(name="identity", package="nimbus.identity.db")
