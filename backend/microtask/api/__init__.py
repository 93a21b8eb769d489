"""The HTTP API: FastAPI over the index database, plus uploads to the content store.

- `app.create_app`: the application (lifespan: engine, migrations, content store).
- `routes/`: one module per resource (tasks, workers, requesters, stats, health, events,
  content); `deps`: typed dependencies; `schemas`: response models; `pagination`: keyset
  cursors; `problems`: RFC 9457 errors for everything that goes wrong.
- `server.ApiServer`: uvicorn on a socket bound up front, in a thread that `microtask api`
  and `microtask up` stop on Ctrl-C.
"""

from microtask.api.app import create_app

__all__ = ["create_app"]
