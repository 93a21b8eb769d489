"""Running a requester's MTurk gateway: on its own (`microtask mturk serve`), or inside the
API of `microtask up` at ``/mturk`` (the demo requester's, with ``--demo``; with the API
in several processes, on PostgreSQL, `up` serves it on ``mturk_port`` instead).

Under ``up --demo`` the gateway signs as the demo requester (dev account 1, whose key is
public: a development chain only) and its access key is derived from that key, so every
``up --demo`` prints the same ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from microtask.cli import console
from microtask.cli.context import settings_of

if TYPE_CHECKING:
    from microtask.api.server import ApiServer
    from microtask.config import Settings
    from microtask.content import ContentStore
    from microtask.services import Supervisor

NETWORK = "local"


def serve(
    ctx: typer.Context, account: str, network: str, host: str | None, port: int | None
) -> None:
    """`microtask mturk serve`: the account's gateway on its own port, until Ctrl-C."""
    from microtask.api.server import ApiServer
    from microtask.cli.context import signer_for
    from microtask.cli.index_cmd import configure_logging
    from microtask.client import Platform
    from microtask.mturk.app import mturk_app
    from microtask.mturk.service import open_service
    from microtask.services import Supervisor

    settings = settings_of(ctx)
    signer = signer_for(settings, network, account)
    configure_logging(verbose=False)
    with Platform.open(settings, network) as platform:
        service = open_service(settings, platform, signer)
        server = ApiServer(
            mturk_app(service.endpoint),
            settings.mturk_host if host is None else host,
            settings.mturk_port if port is None else port,
            name="the MTurk endpoint",
        )
        with Supervisor() as services:
            services.start(service)
            services.start(server)  # stopped first: no request arrives while rounds stop
            active = [key for key in service.keys.list() if key.active]
            console.out.print(f"MTurk endpoint {server.url}  (requester {signer.address})")
            if not active:
                console.warn(
                    f"{account} has no access key yet: microtask mturk keys create "
                    f"--account {account}"
                )
            console.success("the MTurk endpoint is up; press Ctrl-C to stop")
            services.wait()


def demo_gateway(settings: Settings, api_url: str) -> tuple[ApiServer, str]:
    """Where the demo requester's MTurk endpoint is served when the API runs in several
    processes: by `up` itself, on ``mturk_port`` (one process holds the requester's key and
    runs the endpoint's rounds, which several would repeat); and what the API processes'
    ``/mturk`` answers, which names it. Bound now, so a taken port fails before anvil."""
    from microtask.api.server import ApiServer
    from microtask.mturk.app import mturk_app

    gateway = ApiServer(
        mturk_app(), settings.mturk_host, settings.mturk_port, name="the MTurk endpoint"
    )
    return gateway, (
        f"with the API in several processes, `microtask up --demo` serves the demo "
        f"requester's MTurk endpoint at {gateway.url} (not at {api_url}/mturk)"
    )


def serve_demo(
    settings: Settings,
    rpc_url: str,
    content: ContentStore,
    services: Supervisor,
    api_url: str,
    gateway: ApiServer,
) -> tuple[str, str, str]:
    """The demo requester's gateway in ``gateway`` (the API of `microtask up`, or the
    server of `demo_gateway`, which it then starts), started under ``services``; its URL
    and demo access key id and secret."""
    from microtask.chain.accounts import dev_accounts
    from microtask.chain.deployments import DeploymentStore
    from microtask.chain.networks import reach
    from microtask.client import ApiClient, Platform
    from microtask.demo.seed import REQUESTER_INDEX
    from microtask.mturk.app import attach_mturk
    from microtask.mturk.keys import ensure_demo_key
    from microtask.mturk.service import open_service

    requester = dev_accounts()[REQUESTER_INDEX]
    client = ApiClient(api_url)
    services.on_stop("the MTurk endpoint's API client", client.close)
    endpoint = reach(settings, NETWORK, url=rpc_url)
    record = DeploymentStore(settings.deployments_dir, NETWORK).load("TaskEscrow")
    platform = Platform(settings, endpoint, record, content=content, api=client)
    services.on_stop("the MTurk endpoint's platform", platform.close)
    service = open_service(settings, platform, requester)
    key_id, secret = ensure_demo_key(service.keys, bytes(requester.key))
    services.start(service)
    attach_mturk(gateway.app, service.endpoint)
    if gateway.url == api_url:
        return f"{api_url}/mturk", key_id, secret
    services.start(gateway)
    return gateway.url, key_id, secret


def print_demo_lines(url: str, key_id: str, secret: str) -> None:
    """The lines `up --demo` prints for boto3: where, and with which keys (one line each,
    however narrow the terminal, so they can be copied or grepped)."""
    console.out.print(f"MTurk endpoint  {url}", markup=False)
    console.out.print(
        f"MTurk keys      AWS_ACCESS_KEY_ID={key_id} AWS_SECRET_ACCESS_KEY={secret}",
        markup=False,
    )
