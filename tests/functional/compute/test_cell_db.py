"""A cell database's item-level queries on every backend: the guarded touch,
metadata and system metadata keys, tags with their limit, and instance
actions paged by marker and filtered by time."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator

import pytest

from nimbus.common.db import create_engine
from nimbus.common.db.engine import Database
from nimbus.common.db.migration import sync
from nimbus.compute import exceptions as exc
from nimbus.compute.db.cell import SCHEMA, actions, instance_items
from nimbus.compute.db.cell import instances as cell_instances
from tests.support.backends import fresh_database


@pytest.fixture
def cell_db(backend: str, tmp_path: object) -> Iterator[Database]:
    with fresh_database(backend, str(tmp_path), "cell") as url:
        db = Database("cell", create_engine(url))
        sync(db, SCHEMA)
        yield db
        db.dispose()


def _instance(db: Database, **values: object) -> str:
    server = str(uuid.uuid4())
    with db.writer() as conn:
        cell_instances.create(conn, {
            "uuid": server, "user_id": "u", "project_id": "p", "power_state": 1,
            "vm_state": "active", "memory_mb": 64, "vcpus": 1, "locked": False,
            "auto_disk_config": False, "shutdown_terminate": False,
            "disable_terminate": False, "cleaned": False, "hidden": False,
            "flavor": {"flavorid": "f"}, "metadata": {"a": "1", "b": "2"}, **values})
    return server


def test_touch_if_guards_states(cell_db: Database) -> None:
    server = _instance(cell_db, task_state="pausing")
    with cell_db.writer() as conn:
        before = cell_instances.get(conn, server).updated_at
        instance_items.touch_if(conn, server, ["active"], ["pausing"])
        assert cell_instances.get(conn, server).updated_at >= before  # type: ignore[operator]
        with pytest.raises(exc.UnexpectedTaskState) as raised:
            instance_items.touch_if(conn, server, ["active", "paused"], [None])
        assert raised.value.kwargs["actual"] == "pausing"
        assert raised.value.kwargs["vm_state"] == "active"
        with pytest.raises(exc.UnexpectedTaskState):
            instance_items.touch_if(conn, server, ["stopped"])
        instance_items.touch_if(conn, server)
        with pytest.raises(exc.InstanceNotFound):
            instance_items.touch_if(conn, str(uuid.uuid4()))


def test_metadata_and_system_metadata_keys(cell_db: Database) -> None:
    server = _instance(cell_db, system_metadata={"image_x": "1", "locked_reason": "old"})
    with cell_db.writer() as conn:
        instance_items.set_metadata(conn, server, {"b": "3", "c": "4"})
        assert instance_items.metadata(conn, server) == {"a": "1", "b": "3", "c": "4"}
        assert instance_items.delete_metadata(conn, server, "a") is True
        assert instance_items.delete_metadata(conn, server, "a") is False
        instance_items.set_metadata(conn, server, {"z": "9"}, replace=True)
        assert instance_items.metadata(conn, server) == {"z": "9"}
        instance_items.set_metadata(conn, server, {}, replace=True)
        assert instance_items.metadata(conn, server) == {}
        instance_items.set_system_metadata(conn, server, {"locked_reason": "new",
                                                          "password_0": ""})
        instance_items.delete_system_metadata(conn, server, ["image_x", "absent"])
        record = cell_instances.get(conn, server)
    assert record.system_metadata == {"locked_reason": "new", "password_0": ""}


def test_tags_with_a_limit(cell_db: Database) -> None:
    server = _instance(cell_db, tags=["x"])
    with cell_db.writer() as conn:
        assert instance_items.add_tag(conn, server, "y", limit=3) is True
        assert instance_items.add_tag(conn, server, "y", limit=3) is False
        instance_items.add_tag(conn, server, "z", limit=3)
        with pytest.raises(exc.TooManyTags):
            instance_items.add_tag(conn, server, "w", limit=3)
        instance_items.delete_tag(conn, server, "x")
        with pytest.raises(exc.InstanceTagNotFound):
            instance_items.delete_tag(conn, server, "x")
        assert instance_items.tags(conn, server) == ["y", "z"]
        assert instance_items.replace_tags(conn, server, ["b", "a", "b"]) == ["a", "b"]
        assert instance_items.replace_tags(conn, server, []) == []


def test_actions_paged_and_filtered(cell_db: Database) -> None:
    server = _instance(cell_db)
    base = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    with cell_db.writer() as conn:
        for i, name in enumerate(("create", "stop", "start", "pause")):
            when = base + datetime.timedelta(minutes=i)
            actions.start(conn, server, name, f"req-{i}", "u", "p", when=when)
    with cell_db.reader() as conn:
        listed = actions.list_for(conn, server)
        assert [a["action"] for a in listed] == ["pause", "start", "stop", "create"]
        page = actions.list_for(conn, server, limit=2, marker="req-2")
        assert [a["request_id"] for a in page] == ["req-1", "req-0"]
        with pytest.raises(exc.MarkerNotFound):
            actions.list_for(conn, server, marker="req-9")
        recent = actions.list_for(conn, server,
                                  changes_since=base + datetime.timedelta(minutes=2))
        assert [a["action"] for a in recent] == ["pause", "start"]
        early = actions.list_for(conn, server,
                                 changes_before=base + datetime.timedelta(minutes=1))
        assert [a["action"] for a in early] == ["stop", "create"]
