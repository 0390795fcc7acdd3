import threading
import time

import pytest

from dogcat_lib.plumbing.parallel import ordered_map


def test_results_come_in_input_order_whatever_finishes_first():
    def slow_for_small(x):
        time.sleep(0.002 * (10 - x))
        return x * x

    assert list(ordered_map(slow_for_small, range(10), workers=4)) == [x * x for x in range(10)]


def test_lazy_input_is_consumed_only_a_window_ahead():
    consumed = []

    def items():
        for i in range(100):
            consumed.append(i)
            yield i

    results = ordered_map(lambda x: x, items(), workers=2, ahead=3)
    assert next(results) == 0
    assert len(consumed) <= 4
    results.close()


def test_work_runs_on_several_threads_at_once_never_the_callers():
    barrier = threading.Barrier(2, timeout=10)  # each of the first two items waits for the other
    threads = []

    def work(x):
        threads.append(threading.get_ident())
        if x < 2:
            barrier.wait()  # BrokenBarrierError unless two workers run concurrently
        return x

    assert list(ordered_map(work, range(6), workers=2)) == list(range(6))
    assert threading.get_ident() not in threads and len(set(threads)) == 2


def test_an_error_is_raised_in_order():
    def work(x):
        if x == 5:
            raise ValueError("bad item 5")
        return x

    out = []
    with pytest.raises(ValueError, match="bad item 5"):
        for value in ordered_map(work, range(20), workers=2):
            out.append(value)
    assert out == [0, 1, 2, 3, 4]
