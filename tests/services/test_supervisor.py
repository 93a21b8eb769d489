"""The supervisor with real threads and real child processes: order, signals, failures.

Nothing here is a stand-in for the supervisor: it runs `LoopService` threads and
`ScriptProcess` children (tests/services/helpers.py), and the signals are real ones sent
to this process.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable

import pytest

from microtask.services import ServiceFailed, ServicesStopFailed, Supervisor
from microtask.services.process import ProcessFailed
from microtask.services.supervisor import Service
from tests.services.helpers import CRASHES, SERVES, Broken, LoopService, ScriptProcess


def _supervise(*services: Service, then: Callable[[Supervisor], None]) -> None:
    """Start ``services`` in order under one supervisor, do ``then``, and wait."""
    with Supervisor(watch_interval=0.01) as supervisor:
        for service in services:
            supervisor.start(service)
        then(supervisor)
        supervisor.wait()


def _stop(supervisor: Supervisor) -> None:
    supervisor.request_stop()


def _crash(loop: LoopService) -> Callable[[Supervisor], None]:
    def crash(_: Supervisor) -> None:
        loop.fail()
        assert loop.failed.wait(10)

    return crash


def _kill(process: ScriptProcess) -> Callable[[Supervisor], None]:
    def kill(_: Supervisor) -> None:
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)  # as the OOM killer would

    return kill


def _fail_with(error: Exception) -> Callable[[Supervisor], None]:
    def fail(_: Supervisor) -> None:
        raise error

    return fail


def test_services_start_in_order_and_stop_in_reverse() -> None:
    journal: list[str] = []
    loops = [LoopService(label, journal) for label in ("indexer", "verifier")]
    process = ScriptProcess(SERVES, journal=journal, label="anvil")
    running: list[bool] = []

    def look_then_stop(supervisor: Supervisor) -> None:
        running.extend([process.pid is not None, *(loop.running for loop in loops)])
        supervisor.request_stop()

    with Supervisor() as services:
        services.on_stop("the content store", lambda: journal.append("close content"))
        services.start(process)
        for loop in loops:
            services.start(loop)
        look_then_stop(services)
        assert services.wait() is False
    assert running == [True, True, True]
    assert journal == [
        "start anvil", "start indexer", "start verifier",
        "stop verifier", "stop indexer", "stop anvil", "close content",
    ]  # fmt: skip
    assert not any(loop.running for loop in loops)
    assert process.pid is None


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_the_wait_and_the_handlers_are_restored(sig: signal.Signals) -> None:
    before = signal.getsignal(sig)
    journal: list[str] = []
    with Supervisor() as services:
        services.start(LoopService("indexer", journal))
        os.kill(os.getpid(), sig)  # handled: it only sets the event, nothing raises here
        assert services.wait() is False
        assert services.stopping.is_set()
    assert journal == ["start indexer", "stop indexer"]
    assert signal.getsignal(sig) is before


def test_wait_until_a_condition_holds_then_wait_again() -> None:
    loop = LoopService("indexer", [])
    with Supervisor(watch_interval=0.01) as services:
        services.start(loop)
        assert services.wait(until=lambda: loop.running) is True
        services.request_stop()
        assert services.wait(until=lambda: False) is False


def test_a_service_that_fails_to_start_stops_the_ones_before_it() -> None:
    journal: list[str] = []
    first = LoopService("indexer", journal)
    crashing = ScriptProcess(CRASHES, journal=journal, label="anvil")
    never = LoopService("verifier", journal)
    with pytest.raises(ProcessFailed, match="cannot open the data directory"):
        _supervise(first, crashing, never, then=_stop)
    assert "start verifier" not in journal
    assert journal[-2:] == ["stop anvil", "stop indexer"]
    assert not first.running
    assert crashing.pid is None


def test_a_thread_that_dies_ends_the_run_with_one_line_naming_it() -> None:
    journal: list[str] = []
    healthy, dying = LoopService("indexer", journal), LoopService("verifier", journal)
    with pytest.raises(ServiceFailed) as failed:
        _supervise(healthy, dying, then=_crash(dying))
    assert str(failed.value) == "the verifier stopped: RuntimeError: disk I/O error"
    assert failed.value.__cause__ is dying.error_when_failing
    assert journal[-2:] == ["stop verifier", "stop indexer"]
    assert not healthy.running


def test_our_own_errors_pass_through_unchanged() -> None:
    mismatch = Broken("the index at sqlite:///index.sqlite belongs to another chain")
    dying = LoopService("indexer", [], error_when_failing=mismatch)
    with pytest.raises(Broken) as failed:
        _supervise(dying, then=_crash(dying))
    assert failed.value is mismatch


def test_a_process_that_dies_ends_the_run_and_the_rest_are_stopped() -> None:
    journal: list[str] = []
    anvil = ScriptProcess(SERVES, journal=journal, label="anvil")
    indexer = LoopService("indexer", journal)
    with pytest.raises(ProcessFailed, match=r"^the script exited unexpectedly with code -9: "):
        _supervise(anvil, indexer, then=_kill(anvil))
    assert journal[-2:] == ["stop indexer", "stop anvil"]
    assert not indexer.running
    assert anvil.pid is None


def test_one_that_raises_while_stopping_does_not_keep_the_others_running() -> None:
    journal: list[str] = []
    anvil = ScriptProcess(SERVES, journal=journal, label="anvil")
    indexer = LoopService("indexer", journal, error_on_stop=RuntimeError("database is locked"))
    api = LoopService("api", journal, error_on_stop=OSError("socket already closed"))
    verifier = LoopService("verifier", journal)
    processes = []

    def keep_then_stop(supervisor: Supervisor) -> None:
        processes.append(anvil._process)
        supervisor.request_stop()

    with pytest.raises(ServicesStopFailed) as stopping:
        _supervise(anvil, indexer, verifier, api, then=keep_then_stop)
    assert str(stopping.value) == (
        "could not stop cleanly (the api: socket already closed; the indexer: database is locked)"
    )
    assert [name for name, _ in stopping.value.failures] == ["the api", "the indexer"]
    assert journal[4:] == ["stop api", "stop verifier", "stop indexer", "stop anvil"]
    assert not any(s.running for s in (indexer, verifier, api))
    (popen,) = processes
    assert popen is not None
    assert popen.returncode == 0, "anvil was still asked to stop, and stopped cleanly"


def test_stop_errors_do_not_hide_the_error_that_ended_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    journal: list[str] = []
    indexer = LoopService("indexer", journal, error_on_stop=RuntimeError("database is locked"))
    verifier = LoopService("verifier", journal)
    logger = logging.getLogger("microtask.services")
    logger.addHandler(caplog.handler)  # `microtask` may not propagate (the CLI's logging)
    try:
        with pytest.raises(Broken, match="no deployment record"):
            _supervise(indexer, verifier, then=_fail_with(Broken("no deployment record")))
    finally:
        logger.removeHandler(caplog.handler)
    assert journal[-2:] == ["stop verifier", "stop indexer"]
    assert "could not stop the indexer: database is locked" in caplog.messages
