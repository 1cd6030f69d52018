"""Image stores: where image data lives, built from the configuration."""

from __future__ import annotations

from oslo_config import cfg

from nimbus.image.store import options
from nimbus.image.store.base import (
    BadStoreConfiguration,
    DataNotFound,
    DuplicateData,
    Store,
    StoreError,
    StoreFull,
    StoreNotFound,
    StoreReadOnly,
    StoreUnavailable,
    Writer,
)
from nimbus.image.store.filesystem import FilesystemStore
from nimbus.image.store.http import HttpStore

__all__ = [
    "BadStoreConfiguration",
    "DataNotFound",
    "DuplicateData",
    "FilesystemStore",
    "HttpStore",
    "Store",
    "StoreError",
    "StoreFull",
    "StoreNotFound",
    "StoreReadOnly",
    "StoreUnavailable",
    "Stores",
    "Writer",
]


def _build(conf: cfg.ConfigOpts, name: str, store_type: str, is_default: bool) -> Store:
    group = conf[name]
    if store_type == "file":
        return FilesystemStore(
            name,
            options.file_store_dir(conf, name),
            description=group.store_description,
            is_default=is_default,
        )
    return HttpStore(
        name,
        description=group.store_description,
        is_default=is_default,
        insecure=group.https_insecure,
        ca_file=group.https_ca_certificates_file,
        timeout=group.http_store_timeout,
    )


class Stores:
    """The configured stores by name, the default one and the staging one."""

    def __init__(self, stores: list[Store], staging: FilesystemStore) -> None:
        self._stores = {store.name: store for store in stores}
        defaults = [store for store in stores if store.is_default]
        if len(defaults) != 1:
            raise BadStoreConfiguration("Exactly one store must be the default.")
        self.default = defaults[0]
        self.staging = staging
        directories: dict[str, str] = {}
        for store in [*stores, staging]:
            if isinstance(store, FilesystemStore):
                other = directories.setdefault(store.directory, store.name)
                if other != store.name:
                    raise BadStoreConfiguration(
                        f"Stores {other} and {store.name} share one directory."
                    )

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> Stores:
        try:
            options.register_store_opts(conf)
        except ValueError as exc:
            raise BadStoreConfiguration(str(exc)) from exc
        backends = options.enabled_backends(conf)
        default = conf.image.default_backend
        if default not in backends:
            raise BadStoreConfiguration(
                f"default_backend {default!r} is not in enabled_backends."
            )
        if backends[default] == "http":
            raise BadStoreConfiguration("The default store cannot be a read-only http store.")
        stores = [
            _build(conf, name, store_type, name == default)
            for name, store_type in backends.items()
        ]
        staging = FilesystemStore(
            options.STAGING_STORE, options.file_store_dir(conf, options.STAGING_STORE)
        )
        return cls(stores, staging)

    def get(self, name: str) -> Store:
        if name == self.staging.name:
            return self.staging
        try:
            return self._stores[name]
        except KeyError:
            raise StoreNotFound(f"Store for identifier {name} not found.") from None

    def all(self) -> list[Store]:
        """The configured stores, staging excluded, in configuration order."""
        return list(self._stores.values())

    def locate(self, location: str) -> Store:
        """The store a location string belongs to."""
        for store in [self.staging, *self._stores.values()]:
            if store.owns(location):
                return store
        raise StoreNotFound("No configured store serves this location.")

    def close(self) -> None:
        for store in self._stores.values():
            if isinstance(store, HttpStore):
                store.close()
