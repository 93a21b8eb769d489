"""The web app: server-rendered pages for workers (Jinja2 + htmx) and one small ES module
for what must happen in the browser (the wallet, EIP-712 signing, sealing answers,
receipts in IndexedDB), built from ``ts/`` by ``scripts/build_web.mjs``.

`mount_pages` adds the pages to the API's FastAPI app (`create_app(with_pages=True)`);
`attach_site` tells them which deployment they serve once it is known (`microtask up`
learns it after starting anvil, through the client library's `Platform`). The pages read what the API reads, with the same query
code, so the JSON API and the pages never disagree.
"""

from microtask.web.app import attach_site, mount_pages
from microtask.web.site import Site, site_for_platform

__all__ = ["Site", "attach_site", "mount_pages", "site_for_platform"]
