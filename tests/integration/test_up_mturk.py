"""The issue's promise, end to end: an unchanged boto3 script runs against `microtask up
--demo` with three environment variables.

One `up --demo` process; the requester's script (tests/mturk/scripts/moved_requester.py,
as it ran against Amazon: it names no endpoint and no key) in another, with only
``AWS_ENDPOINT_URL_MTURK``, ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` taken from
the lines `up` prints. It creates a HIT with an HTMLQuestion and waits; two workers do the
HIT without gas (as the web app does it: a slot from the verifier, a sealed submission,
a receipt); the script reads their answers as QuestionFormAnswers and approves them; the
workers are paid the HIT's reward in dUSD on chain.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from microtask.chain.accounts import dev_accounts
from microtask.chain.deployments import DeploymentStore
from microtask.chain.networks import reach
from microtask.client import ApiClient, Platform, Worker
from microtask.manifests import ItemAnswer, SubmissionAnswers
from microtask.manifests.answers import FormAnswer
from tests.conftest import make_settings
from tests.integration.test_up import READY, UpProcess, _rpc_url, up_env
from tests.integration.test_up_api import _api_url
from tests.mturk.conftest import HTML_FORM

__all__ = ["up_env"]

SCRIPT = Path(__file__).parents[1] / "mturk" / "scripts" / "moved_requester.py"
WORKERS = {3: "positive", 4: "negative"}
REWARD = 250_000  # the script's Reward "0.25", in dUSD's 6 decimals


def printed(lines: list[str], label: str) -> str:
    for line in lines:
        if line.startswith(label):
            return line[len(label) :].strip()
    raise AssertionError(f"no line starting {label!r}:\n" + "\n".join(lines))


def form(said: str) -> SubmissionAnswers:
    answer = FormAnswer.model_validate({"fields": [{"name": "sentiment", "text": said}]})
    return SubmissionAnswers(answers=[ItemAnswer(item_id="hit", answer=answer)])


def test_an_unchanged_boto3_script_against_up_demo(up_env: dict[str, str], tmp_path: Path) -> None:
    up = UpProcess(dict(up_env, MICROTASK_CONTENT_STORE="local"), "--demo")
    script = None
    try:
        lines = up.wait_for(READY)
        endpoint = printed(lines, "MTurk endpoint")
        keys = dict(pair.split("=", 1) for pair in printed(lines, "MTurk keys").split())
        assert endpoint == _api_url(lines) + "/mturk"
        assert set(keys) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
        question = tmp_path / "question.xml"
        question.write_text(HTML_FORM)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MICROTASK_"))}
        env.update(keys, AWS_ENDPOINT_URL_MTURK=endpoint, HOME=str(tmp_path))
        script = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(question), str(len(WORKERS))],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert script.stdout is not None
        assert re.fullmatch(r"balance \d+\.\d\d\n", script.stdout.readline())
        hit_line = script.stdout.readline()
        assert hit_line.startswith("HIT T"), hit_line + (
            script.stderr.read() if script.stderr else ""
        )
        task_id = int(hit_line.split()[1][1:])

        settings = make_settings(tmp_path, content_store="local")
        store = DeploymentStore(settings.deployments_dir, "local")
        chain = reach(settings, "local", url=_rpc_url(lines))
        with (
            ApiClient(_api_url(lines)) as api,
            Platform(settings, chain, store.load("TaskEscrow"), api=api) as platform,
        ):
            token = platform.token("dUSD")
            before = {
                i: Worker(platform, dev_accounts()[i]).balance(token.address) for i in WORKERS
            }
            for index, said in WORKERS.items():
                Worker(platform, dev_accounts()[index]).work_gasless(task_id, form(said))
            out, err = script.communicate(timeout=180)
            assert script.returncode == 0, err
            result = json.loads(out.splitlines()[-1])
            worker_ids = {i: "A" + dev_accounts()[i].address[2:].upper() for i in WORKERS}
            assert result["answers"] == {
                worker_ids[i]: {"sentiment": said} for i, said in WORKERS.items()
            }
            assert result["statuses"] == ["Approved"] * len(WORKERS)
            for index in WORKERS:
                after = Worker(platform, dev_accounts()[index]).balance(token.address)
                assert after - before[index] == REWARD
        assert up.interrupt() == 0
    finally:
        if script is not None and script.poll() is None:
            script.kill()
        up.kill()
