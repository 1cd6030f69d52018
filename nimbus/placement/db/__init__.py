"""The placement database: tables, migrations and queries."""

from nimbus.common.db.migration import Schema

SCHEMA = Schema(name="placement", package="nimbus.placement.db")
