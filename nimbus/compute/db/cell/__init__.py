"""A cell database (Nova's "main" database): instances and what hangs off
them, services, compute nodes and migrations. cell0 and every cell share
this schema; each cell's connection comes from its cell mapping."""

from nimbus.common.db.migration import Schema

SCHEMA = Schema(name="cell", package="nimbus.compute.db.cell")
