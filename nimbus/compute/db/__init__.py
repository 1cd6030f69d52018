"""The compute API database (Nova's "API database"): tables, migrations and queries.

Cell databases (instances and what hangs off them) will have a schema of
their own.
"""

from nimbus.common.db.migration import Schema

# The database is called "api", as Nova calls it: [api_database] connection.
SCHEMA = Schema(name="api", package="nimbus.compute.db")
