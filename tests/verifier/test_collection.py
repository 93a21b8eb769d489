"""The garbage collector pauses for quality control and comes back as it was."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from microtask.verifier.collection import collector_paused


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_inside_and_running_after_even_on_error() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("quality control failed")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_pauses_nest_across_threads() -> None:
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(timeout=30)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert inside.wait(timeout=30)
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the other thread's pause still holds
    finally:
        release.set()
        thread.join(timeout=30)
    assert gc.isenabled()


def test_cycles_made_during_a_pause_are_collected_after() -> None:
    gc.enable()

    class Node:
        other: object = None

    with collector_paused():
        first, second = Node(), Node()
        first.other, second.other = second, first
        refs = [weakref.ref(first), weakref.ref(second)]
        del first, second
        assert all(ref() is not None for ref in refs)  # a cycle: only the collector frees it
    gc.collect()
    assert all(ref() is None for ref in refs)
