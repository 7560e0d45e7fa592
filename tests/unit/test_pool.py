"""The build's fork pool under `publish`'s signal handlers (cli/stop.py): its workers must
still die when the pool ends them, or the publish waits forever on its own pool."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import signal
    from mirrorpub.cli.stop import StopOnSignal
    from mirrorpub.site.build.pool import PARALLEL_THRESHOLD, mapper

    def handlers(state, item):
        return (state["pooled"], signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,
                signal.getsignal(signal.SIGINT) is signal.SIG_IGN)

    with StopOnSignal():
        with mapper(2, PARALLEL_THRESHOLD, {}) as run:
            print(sorted(set(run(handlers, range(PARALLEL_THRESHOLD)))))
""")


def test_pool_workers_end_on_the_pools_sigterm_and_leave_ctrl_c_to_the_publish() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    # Pooled; SIGTERM kills a worker (Pool.terminate sends it); Ctrl-C is the parent's.
    assert result.stdout.strip() == "[(True, True, True)]", result.stdout + result.stderr


FORKED = textwrap.dedent("""
    import os, signal, time
    from mirrorpub.cli.stop import StopOnSignal

    with StopOnSignal():
        pid = os.fork()
        if pid == 0:  # a worker before its pool's initializer ran
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM)
""")


def test_a_forked_child_dies_on_sigterm_even_before_its_handlers_are_reset() -> None:
    result = subprocess.run([sys.executable, "-c", FORKED], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True", result.stdout + result.stderr
