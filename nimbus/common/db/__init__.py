"""Database engines, transactions, column types and migrations."""

from nimbus.common.db.engine import (
    Database,
    DBError,
    DuplicateEntry,
    ReferenceMissing,
    after_commit,
    create_engine,
)

__all__ = ["Database", "DBError", "DuplicateEntry", "ReferenceMissing", "after_commit",
           "create_engine"]
