"""`mirrorpub watch` as a real process: edits reach a folder and a SeaweedFS bucket."""

from __future__ import annotations

import json
import signal
import threading
from typing import Any

import pytest

from mirrorpub.publish.lock import site_lock
from tests.services.faultproxy import FORWARD, FaultProxy
from tests.sitekit import REPO, article
from tests.watch.conftest import Site, WatchProcess

pytestmark = [pytest.mark.s3, pytest.mark.timeout(120)]


def first_publish(site: Site, watch: WatchProcess) -> int:
    watch.wait_for(lambda: watch.publishes(), "the first publish")
    watch.wait_for(lambda: site.live_on_both("articles/a.html", "token-a0"),
                   "the first version on both mirrors")
    version = watch.publishes()[0]["version"]
    assert site.versions() == (version, version)
    return version


def test_an_edit_goes_live_on_both_mirrors_and_sigterm_exits_0(make_site: Any,
                                                               start_watch: Any) -> None:
    site = make_site()
    watch = start_watch(site)
    version = first_publish(site, watch)

    site.write("a.md", article("Article A", body="second version: token-a1"))
    watch.wait_for(lambda: site.live_on_both("articles/a.html", "token-a1")
                   and site.versions() == (version + 1, version + 1),
                   "the edit and its manifest on the folder and on S3")

    assert watch.terminate() == 0
    assert watch.events("stopped"), watch.log()
    lines = watch.lines()
    assert all(json.loads(line)["time"].endswith("Z") for line in lines), lines  # journald
    assert watch.stdout_path.read_text() == ""
    last = watch.publishes()[-1]
    assert "usb: " in last["message"] and "bucket: " in last["message"]
    assert last["version"] == version + 1


def test_a_burst_of_30_changes_is_published_once_or_twice(make_site: Any,
                                                          start_watch: Any) -> None:
    site = make_site()
    watch = start_watch(site)
    version = first_publish(site, watch)
    before = len(watch.publishes())

    for n in range(30):  # like a `git pull` bringing many files at once
        site.write(f"news/n{n:02d}.md", article(f"News {n}", body=f"burst token-n{n:02d}"))
    watch.wait_for(lambda: all(site.live_on_both(f"articles/n{n:02d}.html", f"token-n{n:02d}")
                               for n in (0, 14, 29)), "the burst on both mirrors")
    watch.settle()

    publishes = len(watch.publishes()) - before
    assert 1 <= publishes <= 2, watch.log()
    assert all((site.folder / f"articles/n{n:02d}.html").is_file() for n in range(30))
    assert site.versions()[1] <= version + 2


def test_a_broken_article_keeps_the_old_site_live_and_the_fix_goes_out(
        make_site: Any, start_watch: Any) -> None:
    site = make_site()
    watch = start_watch(site)
    version = first_publish(site, watch)

    site.write("a.md", "---\ntitle: Article A\ndate: 2026-11-25T12:30:00+06:00\n"
                       "body without the closing line token-broken\n")
    failure = watch.wait_for(lambda: watch.events("failed"), "an error for a.md")[-1]
    assert failure["level"] == "error"
    assert "content/a.md" in failure["message"], failure
    assert "Traceback" not in "\n".join(watch.lines())

    site.write("a.md", article("Article A", body="link to [gone](missing.md) token-dead"))
    watch.wait_for(lambda: len(watch.events("failed")) >= 2, "an error for the dead link")
    assert "content/a.md" in watch.events("failed")[-1]["message"]
    assert "missing.md" in watch.events("failed")[-1]["message"]

    # Every mirror still serves the last good site, and the watcher is still there.
    assert watch.process.poll() is None
    assert site.live_on_both("articles/a.html", "token-a0")
    assert site.versions() == (version, version)

    site.write("a.md", article("Article A", body="fixed: token-fixed"))
    watch.wait_for(lambda: site.live_on_both("articles/a.html", "token-fixed")
                   and site.versions() == (version + 1, version + 1),
                   "the fix and its manifest on both mirrors")
    assert watch.terminate() == 0


def test_a_config_error_is_logged_and_survived_and_the_fixed_config_applies(
        make_site: Any, start_watch: Any) -> None:
    site = make_site()
    watch = start_watch(site)
    version = first_publish(site, watch)
    good = site.config.read_text(encoding="utf-8")

    site.config.write_text(good.replace("[site]\n", "[site]\nper_page = 0\n"), encoding="utf-8")
    error = watch.wait_for(lambda: watch.events("config"), "the config error")[-1]
    assert "mirrorpub.toml" in error["message"] and "site.per_page" in error["message"], error
    site.write("a.md", article("Article A", body="edited while the config is broken"))

    site.config.write_text(good.replace('title = "Test site"', 'title = "Renamed site"'),
                           encoding="utf-8")
    watch.wait_for(lambda: "Renamed site" in site.folder_text("index.html")
                   and "Renamed site" in site.s3_text("index.html"),
                   "the fixed config's new title on both mirrors")
    assert site.live_on_both("articles/a.html", "edited while the config is broken")
    watch.wait_for(lambda: site.versions() == (version + 1, version + 1),
                   "one new version with the title and the edit")
    assert watch.process.poll() is None
    assert watch.terminate() == 0


def test_waits_for_another_publish_holding_the_lock(make_site: Any, start_watch: Any) -> None:
    site = make_site()
    watch = start_watch(site)
    first_publish(site, watch)

    with site_lock(site.root / ".mirrorpub"):  # as `mirrorpub publish` run by hand does
        site.write("a.md", article("Article A", body="after the lock: token-lock"))
        watch.wait_for(lambda: watch.events("locked"), "watch to say it waits for the lock")
        assert "token-lock" not in site.folder_text("articles/a.html")
        assert watch.process.poll() is None
    watch.wait_for(lambda: site.live_on_both("articles/a.html", "token-lock"),
                   "the edit once the lock is free")
    assert watch.terminate() == 0


class _Through:
    """A SeaweedFS server as a site sees it through a FaultProxy (reads stay direct)."""

    def __init__(self, server: Any, proxy: FaultProxy) -> None:
        self._server, self.endpoint = server, proxy.url

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)


def test_sigterm_during_a_publish_finishes_it_first(make_site: Any, start_watch: Any,
                                                    seaweed: Any) -> None:
    with FaultProxy.to(seaweed.endpoint, lambda request: FORWARD) as proxy:
        site = make_site(_Through(seaweed, proxy))
        watch = start_watch(site, "--debounce", "0.2")
        first_publish(site, watch)
        # From now on the bucket's first answer waits for us: SIGTERM surely arrives while
        # the next publish is under way.
        reached, release = threading.Event(), threading.Event()

        def hold(request: Any) -> str:
            reached.set()
            release.wait(30)
            return FORWARD

        proxy.rule = hold
        staging = site.root / "staging"  # outside content/: arrives as one folder, at once
        staging.mkdir()
        for n in range(20):
            (staging / f"m{n:02d}.md").write_text(article(f"More {n}", body=f"token-m{n:02d}"))
        staging.rename(site.root / "content" / "more")
        assert reached.wait(30), "the next publish never reached the bucket"
        published = len(watch.publishes())
        watch.process.send_signal(signal.SIGTERM)
        watch.wait_for(lambda: watch.events("stopping"), "watch to say it stops after the step")
        release.set()
        assert watch.process.wait(timeout=30) == 0
    # Stopped after the step it was in: that publish is complete on both mirrors.
    assert len(watch.publishes()) == published + 1
    last = watch.publishes()[-1]
    assert site.versions() == (last["version"], last["version"])
    assert all((site.folder / f"articles/m{n:02d}.html").is_file() for n in range(20))
    assert site.live_on_both("articles/m19.html", "token-m19")


def test_a_failed_mirror_is_retried_while_edits_reach_the_healthy_one(
        make_site: Any, start_watch: Any, seaweed_factory: Any) -> None:
    server = seaweed_factory()
    site = make_site(server)
    server.stop()  # the bucket's service is down when watch starts
    watch = start_watch(site)

    failed = watch.wait_for(lambda: watch.publishes(), "the first publish")[0]
    assert failed["level"] == "warning" and "bucket: FAILED" in failed["message"], failed
    assert "retry in 10 s" in failed["message"]
    assert "token-a0" in site.folder_text("articles/a.html")

    site.write("a.md", article("Article A", body="while S3 is down: token-down"))
    watch.wait_for(lambda: "token-down" in site.folder_text("articles/a.html"),
                   "the edit on the healthy folder mirror")
    assert "publishing to usb" in watch.events("start")[-1]["message"]  # S3 waits its turn

    server.start()
    watch.wait_for(lambda: "token-down" in site.s3_text("articles/a.html"),
                   "the retry bringing S3 up to date", timeout=60)
    retried = watch.wait_for(lambda: [p for p in watch.publishes() if "bucket: " in
                                      p["message"] and "FAILED" not in p["message"]],
                             "the retry's log line")[-1]
    assert site.versions() == (retried["version"], retried["version"])
    for copy in (site.folder_text("mirrors.json"), site.s3_text("mirrors.json")):
        statuses = {m["name"]: m["status"] for m in json.loads(copy)["mirrors"]}
        assert statuses == {"usb": "active", "bucket": "active"}  # back, on every copy
    assert watch.terminate() == 0


def test_a_template_override_folder_made_while_watching_is_followed(
        make_site: Any, start_watch: Any) -> None:
    site = make_site()
    watch = start_watch(site)
    first_publish(site, watch)
    theme = (REPO / "templates" / "article.html").read_text(encoding="utf-8")

    templates = site.root / "templates"  # did not exist when watch started
    templates.mkdir()
    (templates / "article.html").write_text(theme.replace("</article>",
                                                          "<p>theme-one</p></article>"))
    watch.wait_for(lambda: site.live_on_both("articles/a.html", "theme-one"),
                   "the new template override on both mirrors")

    (templates / "article.html").write_text(theme.replace("</article>",
                                                          "<p>theme-two</p></article>"))
    watch.wait_for(lambda: site.live_on_both("articles/b.html", "theme-two"),
                   "the edited template on both mirrors")
    assert watch.terminate() == 0
