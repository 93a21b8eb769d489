"""The script bundle and the stylesheet: where they are, what each page loads, serving them.

The bundle is built from ``ts/`` by ``scripts/build_web.mjs`` (esbuild) into ``bundle/``,
a git-ignored directory with fingerprinted file names, a ``.gz`` beside each and a
``manifest.json``. Files never change under a name, so they are cached for good; the
stylesheet's URL carries a hash of its bytes for the same reason. Without a built bundle
the pages still render (reading works), with a note saying how to build it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Final

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

IMMUTABLE: Final = "public, max-age=31536000, immutable"
NAME: Final = re.compile(r"^[A-Za-z0-9_-]+\.(js|css)$")
WEB_DIR: Final = Path(str(resources.files("microtask.web")))


@dataclass
class Assets:
    """The built bundle (if any) and the stylesheet."""

    bundle_dir: Path = field(default_factory=lambda: WEB_DIR / "bundle")
    static_dir: Path = field(default_factory=lambda: WEB_DIR / "static")

    @cached_property
    def manifest(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((self.bundle_dir / "manifest.json").read_text())
        except (OSError, ValueError):
            return None
        return data

    @property
    def entry(self) -> str | None:
        return None if self.manifest is None else str(self.manifest["entry"])

    def preloads(self) -> list[str]:
        """The entry's static imports, which the page asks for at once."""
        if self.manifest is None or self.entry is None:
            return []
        return list(self.manifest["files"][self.entry]["imports"])

    @cached_property
    def stylesheet(self) -> str:
        digest = hashlib.sha256((self.static_dir / "app.css").read_bytes()).hexdigest()[:12]
        return f"/assets/app-{digest}.css"

    def read(self, name: str) -> tuple[Path, str]:
        """The file behind an asset name and its media type, or a 404."""
        if not NAME.match(name):
            raise HTTPException(404)
        if name.endswith(".css"):
            if name != self.stylesheet.rsplit("/", 1)[1]:
                raise HTTPException(404)
            return self.static_dir / "app.css", "text/css; charset=utf-8"
        if self.manifest is None or name not in self.manifest["files"]:
            raise HTTPException(404)
        return self.bundle_dir / name, "text/javascript; charset=utf-8"


def asset_router(assets: Assets) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/assets/{name}")
    def asset(name: str, request: Request) -> Response:
        path, media = assets.read(name)
        headers = {
            "Cache-Control": IMMUTABLE,
            "X-Content-Type-Options": "nosniff",
            "Vary": "Accept-Encoding",
        }
        gzipped = path.with_name(path.name + ".gz")
        if "gzip" in request.headers.get("accept-encoding", "") and gzipped.exists():
            headers["Content-Encoding"] = "gzip"
            return Response(gzipped.read_bytes(), media_type=media, headers=headers)
        return Response(path.read_bytes(), media_type=media, headers=headers)

    return router
