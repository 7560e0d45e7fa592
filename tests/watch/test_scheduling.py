"""The watcher's scheduling, in-process: bursts, stops, backoff, which paths count."""

from __future__ import annotations

import threading
from pathlib import Path

from mirrorpub.watch.debounce import Debouncer, Wake
from mirrorpub.watch.events import Relevance
from mirrorpub.watch.retries import Retries, retry_delay


def test_a_burst_from_many_threads_wakes_once() -> None:
    debouncer = Debouncer(quiet=0.05, max_wait=5.0)
    pokers = [threading.Thread(target=lambda n=n: debouncer.poke(f"/site/content/{n}.md"))
              for n in range(30)]
    for poker in pokers:
        poker.start()
    for poker in pokers:
        poker.join()

    assert debouncer.next_wake() is Wake.CHANGES
    paths, count = debouncer.take()
    assert count == 30 and 1 <= len(paths) <= 3
    assert debouncer.next_wake(timer=0.0) is Wake.TIMER  # nothing left pending


def test_a_continuous_stream_still_publishes() -> None:
    now = [0.0]
    debouncer = Debouncer(quiet=0.3, max_wait=0.5, clock=lambda: now[0])
    for step in range(10):  # a change every 50 ms: never 0.3 s of quiet
        now[0] = step * 0.05
        debouncer.poke("/site/content/live.md")
        assert debouncer.next_wake(timer=now[0]) is Wake.TIMER  # not due yet
    now[0] = 0.5  # max_wait after the first change, with the stream still going
    debouncer.poke("/site/content/live.md")
    assert debouncer.next_wake(timer=now[0]) is Wake.CHANGES
    assert debouncer.take() == (["/site/content/live.md"], 11)


def test_stop_from_a_signal_or_thread_wakes_the_loop() -> None:
    debouncer = Debouncer(quiet=1.0, max_wait=5.0)
    threading.Timer(0.05, debouncer.stop).start()
    assert debouncer.next_wake() is Wake.STOP
    debouncer.poke("/site/content/a.md")  # a late change does not undo the stop
    assert debouncer.next_wake() is Wake.STOP


def test_retry_delays_double_and_cap_at_five_minutes() -> None:
    assert [retry_delay(n) for n in range(1, 8)] == [10, 20, 40, 80, 160, 300, 300]


class _Mirror:
    def __init__(self, name: str, ok: bool) -> None:
        self.name, self.ok = name, ok


class _Report:
    def __init__(self, **oks: bool) -> None:
        self.mirrors = [_Mirror(name, ok) for name, ok in oks.items()]


def test_failed_mirrors_wait_out_their_backoff_and_recover() -> None:
    now = [100.0]
    retries = Retries(clock=lambda: now[0])
    retries.record(_Report(usb=True, s3=False))  # type: ignore[arg-type]
    assert retries.waiting() == {"s3"} and retries.next_due() == 110.0
    now[0] = 111.0
    assert retries.waiting() == set()  # due: the next publish includes it
    retries.record(_Report(usb=True, s3=False))  # type: ignore[arg-type]
    assert retries.next_due() == 131.0  # second failure: 20 s
    retries.record(_Report(s3=True))  # type: ignore[arg-type]
    assert retries.next_due() is None and retries.waiting() == set()

    retries.record(_Report(old=False))  # type: ignore[arg-type]
    retries.forget_all_but({"usb", "s3"})  # `old` left the config
    assert retries.next_due() is None


def test_only_the_sites_sources_count_as_changes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    relevant = Relevance(site / "mirrorpub.toml", (site / "content", site / "templates"),
                         (site / "public", site / ".mirrorpub"),
                         (site / "keys.json", site / "keys.json.sig"))
    assert relevant(str(site / "mirrorpub.toml"))
    assert relevant(str(site / "keys.json"))  # a delegation or revocation goes out
    assert relevant(str(site / "keys.json.sig"))
    assert not relevant(str(site / "public/keys.json"))
    assert relevant(str(site / "content/news/a.md"))
    assert relevant(str(site / "content/img/map.png"))
    assert relevant(str(site / "templates/article.html"))
    assert relevant(str(site / "templates"))  # the overrides folder appearing
    assert not relevant(str(site / "content/.a.md.swp"))  # editor files, like content.py
    assert not relevant(str(site / "content/.git/index"))
    assert not relevant(str(site / "public/index.html"))  # our own output
    assert not relevant(str(site / ".mirrorpub/state.json"))
    assert not relevant(str(site / "README.md"))
