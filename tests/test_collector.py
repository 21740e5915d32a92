"""kb.collector: the cycle collector paused for work that makes many long-lived objects, and put back as it was."""
import gc
import threading

import pytest

from kb import collector


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_turns_the_collector_off_inside_and_back_on_after_even_on_an_error(collector_on):
    with pytest.raises(ValueError):
        with collector.paused():
            assert not gc.isenabled()
            raise ValueError("the work failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_on):
    gc.disable()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_as_a_decorator_it_pauses_each_call(collector_on):
    @collector.paused()
    def work(n):
        return n, gc.isenabled()

    assert [work(1), work(2)] == [(1, False), (2, False)]
    assert gc.isenabled()


def test_the_collector_comes_back_only_when_the_last_of_several_threads_leaves(collector_on):
    # a worker's follower thread may load a snapshot while a request's thread loads another
    inside, leave_first, first_left = threading.Barrier(2), threading.Event(), threading.Event()
    seen = {}

    def first():
        with collector.paused():
            inside.wait()
            leave_first.wait()
        first_left.set()

    def second():
        with collector.paused():
            inside.wait()
            leave_first.set()
            first_left.wait()
            seen["after the first left"] = gc.isenabled()
        seen["after both left"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert seen == {"after the first left": False, "after both left": True}
