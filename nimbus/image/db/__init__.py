"""The image database: tables, migrations and queries."""

from nimbus.common.db.migration import Schema

SCHEMA = Schema(name="image", package="nimbus.image.db")
