"""Content on IPFS: stores (embedded and Kubo), Kubo-identical CIDs, and CAR files.

Manifests, input items, submissions and reviews are content-addressed; only their CIDs go
on chain. `open_content_store` picks the store the settings ask for; both kinds implement
`ContentStore`, produce the CIDs Kubo's ``ipfs add`` produces, and move content as CAR v1.
"""

from microtask.content.cid import CID, CidLike, parse_cid
from microtask.content.dag import ContentStat
from microtask.content.errors import (
    CarFormatError,
    ContentCorrupted,
    ContentError,
    ContentNotFound,
    ContentStoreUnavailable,
    ContentTooLarge,
    InvalidCid,
    NotAFile,
    NotPinned,
    UnsupportedContent,
)
from microtask.content.importer import ImportOptions, ImportResult
from microtask.content.kubo import KuboStore
from microtask.content.local import LocalStore
from microtask.content.selection import open_content_store
from microtask.content.store import CarImport, ContentStore, GcResult, canonical_json

__all__ = [
    "CID",
    "CarFormatError",
    "CarImport",
    "CidLike",
    "ContentCorrupted",
    "ContentError",
    "ContentNotFound",
    "ContentStat",
    "ContentStore",
    "ContentStoreUnavailable",
    "ContentTooLarge",
    "GcResult",
    "ImportOptions",
    "ImportResult",
    "InvalidCid",
    "KuboStore",
    "LocalStore",
    "NotAFile",
    "NotPinned",
    "UnsupportedContent",
    "canonical_json",
    "open_content_store",
    "parse_cid",
]
