"""Best-of-N wall times for the Python benchmarks in test/bench."""
import time


def best_of(runs, *fs):
    """Best (time, result) of each function, the functions run in turn so that
    a change in the machine's load falls on all of them alike."""
    out = [None] * len(fs)
    for _ in range(runs):
        for i, f in enumerate(fs):
            t0 = time.perf_counter()
            r = f()
            t = time.perf_counter() - t0
            if out[i] is None or t < out[i][0]:
                out[i] = (t, r)
    return out


def best(f, runs):
    """Best (time, result) of one function."""
    return best_of(runs, f)[0]
