"""Which content store a process uses: a Kubo node when there is one, else the local store.

``content_store = "auto"`` (the default) takes the configured ``ipfs_api``; failing that, a
Kubo daemon already running for this user (its ``$IPFS_PATH/api`` file names a live RPC
endpoint); failing that, the embedded `LocalStore` under the data directory, which needs
nothing installed. ``local`` and ``kubo`` insist on one kind; an ``ipfs_api`` that is
configured but unreachable is an error, never a silent fall back to local storage.
"""

from __future__ import annotations

import os
from pathlib import Path

from microtask.config import Settings
from microtask.content.errors import ContentStoreUnavailable
from microtask.content.kubo import KuboStore
from microtask.content.local import LocalStore
from microtask.content.store import ContentStore
from microtask.errors import ConfigurationError

PROBE_TIMEOUT = 2.0
"""Seconds to wait for a discovered (not configured) daemon before using the local store."""


def running_kubo_api() -> str | None:
    """The API multiaddr of a Kubo daemon running on this user's repo, if its api file says so."""
    repo = Path(os.environ.get("IPFS_PATH") or Path.home() / ".ipfs")
    try:
        address = (repo / "api").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return address or None


def open_content_store(settings: Settings) -> ContentStore:
    """The store the settings ask for, checked to answer if it is a Kubo node."""
    mode = settings.content_store
    if mode == "local":
        return LocalStore(settings.content_dir, fsync=settings.content_fsync)
    if settings.ipfs_api:
        store = KuboStore(
            settings.ipfs_api, timeout=settings.ipfs_timeout, offline=settings.ipfs_offline
        )
        store.version()  # unreachable: ContentStoreUnavailable, with the address
        return store
    discovered = running_kubo_api()
    if discovered is not None:
        store = KuboStore(discovered, timeout=PROBE_TIMEOUT, offline=settings.ipfs_offline)
        try:
            store.version()
        except ContentStoreUnavailable:
            store.close()  # a stale api file from a daemon that died: not an error in auto
            if mode == "kubo":
                raise
        else:
            store.close()
            return KuboStore(
                discovered, timeout=settings.ipfs_timeout, offline=settings.ipfs_offline
            )
    if mode == "kubo":
        raise ConfigurationError(
            "content_store is 'kubo' but no Kubo node is configured (MICROTASK_IPFS_API) "
            "or running (no api file in IPFS_PATH)"
        )
    return LocalStore(settings.content_dir, fsync=settings.content_fsync)
