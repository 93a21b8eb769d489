"""What an item's media is, from its first bytes, so the page uses the right element.

A manifest names media by CID only; the page shows an image, an audio or a video player,
or a download link, always from this platform's ``/content/CID`` (never a URL from the
manifest). Known by magic number, cached per CID (content never changes).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final, Literal

from microtask.content import ContentStore

MediaKind = Literal["image", "audio", "video", "file"]
SIGNATURES: Final[tuple[tuple[bytes, int, MediaKind], ...]] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image"),
    (b"\xff\xd8\xff", 0, "image"),
    (b"GIF8", 0, "image"),
    (b"WEBP", 8, "image"),
    (b"WAVE", 8, "audio"),
    (b"OggS", 0, "audio"),
    (b"fLaC", 0, "audio"),
    (b"ID3", 0, "audio"),
    (b"\xff\xfb", 0, "audio"),
    (b"\xff\xf3", 0, "audio"),
    (b"\x1a\x45\xdf\xa3", 0, "video"),
    (b"ftypM4A", 4, "audio"),
    (b"ftyp", 4, "video"),
)


def sniff(head: bytes) -> MediaKind:
    for magic, offset, kind in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return kind
    return "file"


def media_kind(store: ContentStore, cid: str) -> MediaKind:
    return _cached(store, cid)


@lru_cache(maxsize=4096)
def _cached(store: ContentStore, cid: str) -> MediaKind:
    try:
        for chunk in store.iter_cat(cid):
            return sniff(bytes(chunk[:16]))
    except Exception:
        return "file"
    return "file"
