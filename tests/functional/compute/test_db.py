"""The compute API database's queries on every backend: visibility in the
WHERE clause, regular-expression names, keyset paging, uniqueness."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nimbus.common.db import create_engine
from nimbus.common.db.engine import Database
from nimbus.common.db.migration import sync
from nimbus.compute import exceptions as exc
from nimbus.compute.db import SCHEMA, flavors, keypairs
from tests.support.backends import fresh_database

ADMIN = flavors.Viewer(project_id="p-admin", is_admin=True)


@pytest.fixture
def api_db(backend: str, tmp_path: object) -> Iterator[Database]:
    with fresh_database(backend, str(tmp_path), "api") as url:
        db = Database("api", create_engine(url))
        sync(db, SCHEMA)
        yield db
        db.dispose()


def _flavor(conn: object, name: str, **values: object) -> flavors.Flavor:
    row = {"flavorid": name, "name": name, "memory_mb": 64, "vcpus": 1, "root_gb": 0,
           "ephemeral_gb": 0, "swap": 0, "rxtx_factor": 1.0, "is_public": True,
           "disabled": False, "description": None, **values}
    return flavors.create(conn, row)  # type: ignore[arg-type]


def test_flavor_visibility_filters_and_paging(api_db: Database) -> None:
    with api_db.writer() as conn:
        for i in range(4):
            _flavor(conn, f"pub-{i}", memory_mb=100 * (i + 1))
        private = _flavor(conn, "priv", is_public=False)
        flavors.add_project(conn, private, "p-1")
        with pytest.raises(exc.FlavorIdExists):
            _flavor(conn, "pub-0")
    member = flavors.Viewer(project_id="p-1", is_admin=False)
    stranger = flavors.Viewer(project_id="p-2", is_admin=False)
    with api_db.reader() as conn:
        assert flavors.get(conn, "priv", member).flavorid == "priv"
        with pytest.raises(exc.FlavorNotFound):
            flavors.get(conn, "priv", stranger)
        listed = flavors.list_flavors(conn, member, flavors.Filters())
        assert [f.flavorid for f in listed] == ["priv", "pub-0", "pub-1", "pub-2", "pub-3"]
        assert "priv" not in [f.flavorid for f in
                              flavors.list_flavors(conn, stranger, flavors.Filters())]
        only_private = flavors.list_flavors(conn, ADMIN, flavors.Filters(is_public=False))
        assert [f.flavorid for f in only_private] == ["priv"]
        big = flavors.list_flavors(conn, ADMIN, flavors.Filters(min_memory_mb=300))
        assert [f.flavorid for f in big] == ["pub-2", "pub-3"]
        named = flavors.list_flavors(conn, ADMIN, flavors.Filters(is_public=None,
                                                                  name="^pub-[12]$"))
        assert [f.flavorid for f in named] == ["pub-1", "pub-2"]
        page = flavors.list_flavors(conn, ADMIN, flavors.Filters(), sort_key="memory_mb",
                                    sort_dir="desc", limit=2, marker="pub-3")
        assert [f.flavorid for f in page] == ["pub-2", "pub-1"]
        with pytest.raises(exc.MarkerNotFound):
            flavors.list_flavors(conn, stranger, flavors.Filters(), marker="priv")


def test_extra_specs_and_delete(api_db: Database) -> None:
    with api_db.writer() as conn:
        flavor = _flavor(conn, "specs")
        flavors.set_extra_specs(conn, flavor, {"a": "1", "b": "2"})
        flavors.set_extra_specs(conn, flavor, {"b": "3"})
        flavors.add_project(conn, flavor, "p-1")
    with api_db.reader() as conn:
        assert flavors.get(conn, "specs", ADMIN).extra_specs == {"a": "1", "b": "3"}
    with api_db.writer() as conn:
        flavors.delete_extra_spec(conn, flavor, "a")
        with pytest.raises(exc.FlavorExtraSpecsNotFound):
            flavors.delete_extra_spec(conn, flavor, "a")
        flavors.delete(conn, "specs")
        with pytest.raises(exc.FlavorNotFound):
            flavors.delete(conn, "specs")


def test_keypairs(api_db: Database) -> None:
    with api_db.writer() as conn:
        for name in ("c", "a", "b"):
            keypairs.create(conn, user_id="u1", name=name, fingerprint="f", public_key="k",
                            key_type="ssh")
        keypairs.create(conn, user_id="u2", name="a", fingerprint="f", public_key="k",
                        key_type="x509")
        with pytest.raises(exc.KeyPairExists):
            keypairs.create(conn, user_id="u1", name="a", fingerprint="f", public_key="k",
                            key_type="ssh")
    with api_db.reader() as conn:
        assert [k.name for k in keypairs.list_keypairs(conn, "u1")] == ["a", "b", "c"]
        assert [k.name for k in keypairs.list_keypairs(conn, "u1", limit=1, marker="a")] == [
            "b"]
        assert keypairs.count(conn, "u1") == 3
        assert keypairs.get(conn, "u2", "a").type == "x509"
    with api_db.writer() as conn:
        keypairs.delete(conn, "u1", "a")
        with pytest.raises(exc.KeypairNotFound):
            keypairs.delete(conn, "u1", "a")
