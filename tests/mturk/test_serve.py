"""`microtask mturk serve --account NAME` as a requester runs it: a real process over a
served platform, signing with the requester's keystore; boto3 makes a HIT through it; the
process stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import boto3
from botocore.config import Config

from microtask.chain.anvil import AnvilProcess
from microtask.mturk.keys import AccessKeyStore
from tests.client.conftest import Served
from tests.conftest import REPO_ROOT
from tests.mturk.conftest import HTML_FORM
from tests.quality.scenario import REQUESTER

PASSWORD = "the requester's passphrase"


def test_serve_runs_a_requesters_own_endpoint(
    served: Served, anvil_process: AnvilProcess, tmp_path: Path
) -> None:
    settings = served.world.settings
    config = tmp_path / "microtask.toml"
    port = anvil_process.url.rsplit(":", 1)[1]
    config.write_text(f'[networks.local]\nkind = "anvil"\nport = {port}\n')
    (tmp_path / "password").write_text(PASSWORD + "\n")
    (tmp_path / "key").write_text(bytes(REQUESTER.key).hex())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MICROTASK_", "AWS_"))}
    env.update(
        MICROTASK_CONFIG=str(config),
        MICROTASK_PROJECT_ROOT=str(REPO_ROOT),
        MICROTASK_DATA_DIR=str(settings.data_dir),
        MICROTASK_DEPLOYMENTS_DIR=str(settings.deployments_dir),
        MICROTASK_CACHE_DIR=str(settings.cache_dir),
        MICROTASK_CONTENT_STORE="local",
        MICROTASK_API_URL=served.url,
        MICROTASK_MTURK_TOKEN="TUSD",
        MICROTASK_PASSWORD_FILE=str(tmp_path / "password"),
        COLUMNS="200",
    )
    microtask = [sys.executable, "-m", "microtask"]
    subprocess.run(
        [*microtask, "account", "import", "req", "--key-file", str(tmp_path / "key")],
        env=env, check=True, capture_output=True, cwd=REPO_ROOT,
    )  # fmt: skip
    key, secret = AccessKeyStore(settings.data_dir, REQUESTER.address).create(bytes(REQUESTER.key))
    process = subprocess.Popen(
        [*microtask, "mturk", "serve", "--account", "req", "--port", "0"],
        env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:
            seen.append(line)
            if line.startswith("MTurk endpoint"):
                break
        assert seen, "serve printed nothing"
        url = seen[-1].split()[2]
        assert REQUESTER.address in seen[-1]
        client = boto3.client(
            "mturk",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=key.access_key_id,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )
        hit = client.create_hit(
            Title="Is this review positive?",
            Description="Read one review.",
            Reward="0.10",
            MaxAssignments=1,
            LifetimeInSeconds=600,
            AssignmentDurationInSeconds=120,
            Question=HTML_FORM,
        )["HIT"]
        task = served.platform.task(int(hit["HITId"][1:]))
        assert task.requester == REQUESTER.address  # signed with the requester's own key
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
