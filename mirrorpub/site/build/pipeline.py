"""Render content/ into the output folder (SPEC §6) and describe what was built.

    scan content/ -> read and parse the articles that changed -> check slugs and links
    -> render article pages (cached, in parallel when many) -> copy files
    -> index pages, tag pages, feed (cached by what they show) -> drop stale outputs

What keeps it fast (figures in benchmarks/README.md): an unchanged source is not even read,
its stat vouches for its recorded hash (cache.RenderCache.trusted); front matter is
read by libyaml; many changed articles are parsed and rendered in a fork pool whose
workers read the sources themselves and send back small records, never bodies; a listing's
cache key hashes one precomputed line per entry; nothing unchanged is written again.

The result is a `BuildResult`: every site file with its sha256, size and type. The four
manifest files are not part of it; they are written per copy by `manifest_files`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirrorpub import layout
from mirrorpub.config import Config, SiteConfig
from mirrorpub.content.articles import Article, check_unique_slugs
from mirrorpub.content.scan import Scan, scan_content
from mirrorpub.content.slugs import slugify
from mirrorpub.errors import BuildError
from mirrorpub.hashing import file_digests
from mirrorpub.model import FileEntry, FilesDelta, files_digest, rows_digest
from mirrorpub.site.build import patch, recorded, stamp
from mirrorpub.site.build.articles import (
    RenderJob,
    check_allow_external,
    newest_first,
    read_articles,
    source_stat,
    source_stats,
)
from mirrorpub.site.build.assets import copy_assets
from mirrorpub.site.build.cache import CODE_VERSION, RenderCache, output_size
from mirrorpub.site.build.listings import (
    Shown,
    age_ranks,
    entry_key,
    forget_jobs,
    render_listings,
)
from mirrorpub.site.pages import Entry, MirrorLink, PageRenderer, SiteContext
from mirrorpub.site.theme import Theme
from mirrorpub.site.words import Words


@dataclass(frozen=True)
class BuildResult:
    output_dir: Path
    files: Mapping[str, FileEntry]  # every site file except the manifest files, sorted
    entries: Sequence[Entry]  # published articles, newest first
    rendered: int  # pages rendered this time
    reused: int  # pages kept from the last build
    renderer: PageRenderer  # the theme and site context the pages used: the manifest files too
    files_digest: str  # model.files_digest(files), known without reading them
    sizes: tuple[int, int] = (20, 50)  # per_page and feed_size the listings were cut by
    delta: FilesDelta | None = None  # from the build before, when it was small (_delta)

    # The ranks, once made: every copy's manifest files are split by the same (run.py).
    _ranks: dict[str, dict[str, int]] = field(default_factory=dict, init=False, repr=False,
                                              compare=False)

    def ranks(self) -> dict[str, int]:
        """The pages' age ranks (listings.age_ranks): asked for only when a manifest is
        made again, since an unchanged build makes its entries on first use; made once."""
        if "made" not in self._ranks:
            entries = self.entries
            # Entries read back from the cache can say where they list without being made.
            lazy = isinstance(entries, recorded.RecordEntries | recorded.Entries)
            listed = entries.listed() if lazy else entries
            self._ranks.setdefault("made", age_ranks(listed, *self.sizes))
        return self._ranks["made"]


def content_label(config: Config) -> str:
    """How errors name the content folder: relative to where the editor stands."""
    path = config.site.content_dir
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def site_renderer(config: Config, mirror_links: tuple[MirrorLink, ...],
                  fingerprint: str | None) -> PageRenderer:
    site = config.site
    context = SiteContext(
        title=site.title, description=site.description, language=site.language,
        languages=site.languages, mirror_links=mirror_links, fingerprint=fingerprint,
        feed_id=f"urn:mirrorpub:{site.main_domain or slugify(site.title)}",
        allow_external=site.allow_external,
    )
    theme = Theme(site.templates_dir, config.state_dir / "cache" / "templates")
    return PageRenderer(theme, context, Words(site.templates_dir))


def build_site(config: Config, *, mirror_links: tuple[MirrorLink, ...] = (),
               fingerprint: str | None = None, workers: int | None = None,
               drafts: bool = False) -> BuildResult:
    """`drafts`: render drafts as if published (the preview of `serve --drafts` only,
    which builds into a folder of its own)."""
    try:
        return _build(config, mirror_links, fingerprint, workers, drafts)
    except OSError as exc:  # the output folder cannot be made or written: a disk, a path
        where = exc.filename or config.site.output_dir
        raise BuildError(f"{where}: cannot be written ({exc.strerror or exc})") from None


def _build(config: Config, mirror_links: tuple[MirrorLink, ...], fingerprint: str | None,
           workers: int | None, show_drafts: bool) -> BuildResult:
    site = config.site
    label = content_label(config)
    started_ns = time.time_ns()
    forget_jobs()
    cache_path = RenderCache.path_for(config.state_dir, site.output_dir)
    before = stamp.previous(cache_path)  # read once: it answers, or says what came before
    outputs_there = stamp.check_outputs(before, site.output_dir)  # beside the scan
    scan = scan_content(site.content_dir, label, site.ignore)
    renderer = site_renderer(config, mirror_links, fingerprint)
    theme, context, words = renderer.theme, renderer.site, renderer.words
    context_digest = context.digest()
    stats = source_stats(scan.articles, label)
    asset_stats = {rel: source_stat(str(source), f"{label}/{rel}")
                   for rel, source in scan.file_sources.items()}
    settings = _settings_digest(config, theme.digest, words.digest_all, context_digest, scan,
                                show_drafts)
    inputs = _inputs_digest(settings, scan, stats, asset_stats)
    if stamp.answers(before, inputs, [*stats.values(), *asset_stats.values()],
                     outputs_there):
        assert before is not None
        words.warn([*site.languages, *before.languages])
        return _stamped_result(config, before, renderer, show_drafts)
    stamp.forget(cache_path)
    cache = RenderCache.load(config.state_dir, site.output_dir)
    _guard_output_dir(site.output_dir, cache)
    unchanged = _unchanged_build(cache, inputs, stats, asset_stats, site, show_drafts)
    if unchanged is not None:
        kept_files, kept_entries = unchanged
        languages = recorded.languages(cache, site.language, show_drafts)
        words.warn([*site.languages, *languages])
        digest = files_digest(kept_files)
        return _stamped(cache, inputs, started_ns, languages, BuildResult(
            output_dir=site.output_dir, files=kept_files, entries=kept_entries, rendered=0,
            reused=len(kept_entries) + len(cache.pages), renderer=renderer,
            files_digest=digest, sizes=(site.per_page, site.feed_size),
            delta=before.delta if before and before.files_digest == digest else None))
    cache.step("inputs", inputs)  # saved only with the rest of a build that got through

    def make_job(published: list[Article], drafts: set[str],
                 pages: dict[str, str] | None = None) -> RenderJob:
        return RenderJob(site.content_dir, site.output_dir, renderer, scan, published, drafts,
                         [theme.digest, context_digest], site.allow_external, pages)

    sources = patch.Sources(site.content_dir, label, {f.rel: f for f in scan.articles}, stats,
                            asset_stats)
    base = _listings_base(theme, context_digest, words, site.language)
    sizes = (site.per_page, site.feed_size)
    workers = workers or os.cpu_count() or 1

    def relist(shown: list[Shown], entry_of: Callable[[Any], Entry]) -> int:
        before, pages = set(cache.pages), {}
        listed = render_listings(shown, entry_of, renderer, sizes, site.output_dir, cache,
                                 pages, base, workers, outputs_checked=True)
        _remove_stale(site.output_dir, True, before, pages, site.languages)
        return listed

    patched = patch.few_articles(cache, before, outputs_there, settings, sources, make_job,
                                 relist, site.language, show_drafts)
    if patched is not None:
        cache.save(started_ns, changed=patched.records, pages=patched.relisted)
        languages = recorded.languages(cache, site.language, show_drafts)
        words.warn([*site.languages, *languages])
        return _stamped(cache, inputs, started_ns, languages, BuildResult(
            output_dir=site.output_dir, files=patched.files, entries=patched.entries,
            rendered=patched.rendered,
            reused=len(patched.entries) + len(cache.pages) - patched.rendered,
            renderer=renderer, files_digest=files_digest(patched.files),
            sizes=(site.per_page, site.feed_size), delta=patched.delta))
    cache.step("settings", settings)
    previous_outputs = cache.outputs()  # before this build replaces the records
    previous = _previous_files(cache, before, show_drafts)

    articles = read_articles(scan.articles, stats, label, site.language, cache, workers,
                              started_ns)
    check_allow_external(articles, site.allow_external, site.content_dir, label)
    published = newest_first([a for a in articles if show_drafts or not a.front.draft])
    check_unique_slugs(published)
    languages = {a.lang for a in published}
    words.warn([*site.languages, *languages])
    drafts = {a.rel for a in articles if a.front.draft and not show_drafts}
    job = make_job(published, drafts)
    files: dict[str, FileEntry] = {}
    entries, rendered = job.run(cache, files, workers)
    copy_assets(scan, asset_stats, site.output_dir, cache, files)
    listed = render_listings(_shown(cache, published, entries), _itself, renderer, sizes,
                             site.output_dir, cache, files, base, workers)
    _remove_stale(site.output_dir, cache.found, previous_outputs, files, site.languages)
    cache.save(started_ns)
    pages_total = len(entries) + len(cache.pages)
    files = dict(sorted(files.items()))
    digest = files_digest(files)
    return _stamped(cache, inputs, started_ns, languages, BuildResult(
        output_dir=site.output_dir, files=files, entries=tuple(entries),
        rendered=rendered + listed, reused=pages_total - rendered - listed, renderer=renderer,
        files_digest=digest, sizes=(site.per_page, site.feed_size),
        delta=_delta(before, previous, files, digest)))


def _shown(cache: RenderCache, published: list[Article], entries: list[Entry]) -> list[Shown]:
    """What the listings need of each published article; each one's entry key kept in its
    record, for a build of a few articles (patch.py) to key the listings without making
    every entry again."""
    shown = []
    for article, entry in zip(published, entries, strict=True):
        record, key = cache.articles[article.rel], entry_key(entry)
        if record.get("listed") != key:
            record["listed"] = key
            cache.dirty = True
        shown.append(Shown(entry.slug, entry.tags, f"{entry.slug} {key}", entry))
    return shown


def _itself(entry: Entry) -> Entry:
    return entry


def _listings_base(theme: Theme, context_digest: str, words: Words, language: str) -> str:
    """What every listing page shows besides its articles: part of each one's key."""
    return json.dumps([CODE_VERSION, theme.digest, context_digest, words.digest(language)])


def _stamped(cache: RenderCache, inputs: str, started_ns: int, languages: set[str],
             result: BuildResult) -> BuildResult:
    """The result, once its stamp is written: the next build with nothing to do reads that
    instead of the cache (stamp.py). Every source was found as recorded at `started_ns`."""
    stamp.record(cache.path, inputs=inputs, vouched_ns=started_ns,
                 files=result.files, files_digest=result.files_digest,
                 entries=len(result.entries), pages=result.rendered + result.reused,
                 languages=languages, delta=result.delta)
    return result


def _stamped_result(config: Config, stamped: stamp.BuildStamp, renderer: PageRenderer,
                    show_drafts: bool) -> BuildResult:
    """What the stamp vouches for; the files and entries are read from the cache only if
    asked for (a publish with nothing to send never asks)."""
    site = config.site

    def load() -> tuple[dict[str, FileEntry], Sequence[Entry]]:
        cache = RenderCache.load(config.state_dir, site.output_dir)
        if cache.steps.get("inputs") != stamped.inputs:
            raise BuildError("the build cache changed while this command ran (another build "
                             "of this site?); run the command again")
        return recorded.recorded(cache, recorded.published(cache, show_drafts), site.language)

    once = recorded.Once(load)
    return BuildResult(output_dir=site.output_dir, files=recorded.Files(once, stamped.files),
                       entries=recorded.Entries(once, stamped.entries), rendered=0,
                       reused=stamped.pages, renderer=renderer,
                       files_digest=stamped.files_digest, sizes=(site.per_page, site.feed_size),
                       delta=stamped.delta)


def _guard_output_dir(output_dir: Path, cache: RenderCache) -> None:
    """Refuse to clean out a folder mirrorpub did not make (say, `-o ~/Documents`)."""
    if cache.found or not output_dir.is_dir():
        return
    if not any(output_dir.iterdir()):
        return
    if (output_dir / layout.INDEX).is_file() and (output_dir / layout.MANIFEST).is_file():
        return  # an earlier mirrorpub build whose cache was deleted
    raise BuildError(f"output folder {output_dir} is not empty and was not made by mirrorpub; "
                     "choose another folder or empty it")


# --- what changed since the build before ------------------------------------------------

# Changed and gone files past which a build hands the copies no delta: they then compare
# the whole site, as a theme change or a first publish needs anyway.
DELTA_LIMIT = 2_000

_Previous = tuple[str, dict[str, dict[str, Any]]]  # (files digest, path -> recorded entry)


def _previous_files(cache: RenderCache, before: stamp.BuildStamp | None,
                    show_drafts: bool) -> _Previous | None:
    """The files the build before made, as its cache records them (read before this build
    replaces the records), when its stamp says which they were."""
    if before is None:
        return None
    published = recorded.published(cache, show_drafts)
    if not all("entry" in r for r in published):
        return None
    files = dict(sorted(recorded.outputs(cache, published), key=lambda o: o[0]))
    digest = rows_digest((p, e["sha256"], e["size"]) for p, e in files.items())
    # The stamp goes with this cache file; the digest says the records are its files too.
    return (digest, files) if digest == before.files_digest else None


def _delta(before: stamp.BuildStamp | None, previous: _Previous | None,
           files: dict[str, FileEntry], digest: str) -> FilesDelta | None:
    """What turns the files of the build before into `files`: at most DELTA_LIMIT changes.
    The same files as the build before: the delta that build had, on the same base."""
    if before is not None and before.files_digest == digest:
        return before.delta
    if previous is None:
        return None
    base, old = previous
    changed = {}
    for path, entry in files.items():
        was = old.get(path)
        if was is None or was["sha256"] != entry.sha256 or was["size"] != entry.size or \
                was["content_type"] != entry.content_type:
            changed[path] = entry
    gone = sorted(old.keys() - files.keys())
    if len(changed) + len(gone) > DELTA_LIMIT:
        return None
    shown = {p: (old[p]["sha256"], old[p]["size"]) for p in [*changed, *gone] if p in old}
    return FilesDelta(base, changed, dict(sorted(shown.items())), tuple(gone))


# --- nothing changed --------------------------------------------------------------------

def _settings_digest(config: Config, theme_digest: str, words_digest: str,
                     context_digest: str, scan: Scan, show_drafts: bool) -> str:
    """What a build reads besides its sources: the site settings pages depend on, the
    theme and its catalogs, the content's folders."""
    site = config.site
    return hashlib.sha256(json.dumps([CODE_VERSION, theme_digest, words_digest,
                                      context_digest, site.allow_external, site.per_page,
                                      site.feed_size, str(site.content_dir),
                                      sorted(scan.folders), show_drafts]).encode()).hexdigest()


def _inputs_digest(settings: str, scan: Scan, stats: dict[str, list[int]],
                   asset_stats: dict[str, list[int]]) -> str:
    """Everything a build reads: its settings, and the stat of every source (ctime
    included, so any write to one changes it)."""
    h = hashlib.sha256(settings.encode())
    for rel, stat in stats.items():
        h.update(f"\n{rel}\0{stat}".encode("utf-8", "surrogateescape"))
    for rel, stat in asset_stats.items():
        h.update(f"\n{rel}\0{scan.files[rel]}\0{stat}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _unchanged_build(cache: RenderCache, inputs: str, stats: dict[str, list[int]],
                     asset_stats: dict[str, list[int]], site: SiteConfig,
                     show_drafts: bool) -> tuple[dict[str, FileEntry], Sequence[Entry]] | None:
    """The last build's result, read from the cache, when it read exactly these inputs,
    every source is still vouched for by its stat, and every output it wrote is there.
    Then no article needs even its front matter: a 10,000-article no-op costs a scan, the
    cache and a stat per file."""
    records, assets = cache.articles, cache.assets
    if cache.steps.get("inputs") != inputs or records.keys() != stats.keys() or \
            assets.keys() != asset_stats.keys():
        return None
    root = str(site.content_dir.resolve())  # where scan_content found every source
    if not all(_vouched(cache, records[rel], stat, root, rel, records[rel]["sha"])
               for rel, stat in stats.items()) or \
            not all(_vouched(cache, assets[rel], stat, root, rel,
                             assets[rel]["entry"]["sha256"])
                    for rel, stat in asset_stats.items()):
        return None
    published = recorded.published(cache, show_drafts)
    if not all("entry" in r for r in published):
        return None
    root = str(site.output_dir)
    if not all(output_size(os.path.join(root, path)) == entry["size"]
               for path, entry in recorded.outputs(cache, published)):
        return None
    return recorded.recorded(cache, published, site.language)


def _vouched(cache: RenderCache, record: dict[str, Any], stat: list[int], root: str,
             rel: str, sha256: str) -> bool:
    """Whether the source `rel` under `root` is as recorded: its stat says so, or,
    written just before the last build looked (the edit a publish follows), its bytes
    do. Reading the few such files keeps the next publish from building, and saving the
    cache, all over again."""
    if cache.trusted(record, stat):
        return True
    if record.get("stat") != stat:
        return False
    try:
        return file_digests(os.path.join(root, rel))[0] == sha256
    except OSError:
        return False


# --- articles ---------------------------------------------------------------------------

def _remove_stale(output_dir: Path, cache_found: bool, previous: set[str],
                  files: dict[str, FileEntry], languages: Sequence[str]) -> None:
    keep = set(files) | set(layout.manifest_files(languages))
    if cache_found:
        stale = {p for p in previous if p not in keep}
        # The copies page of a language the site no longer has: not a cache output.
        stale |= {p.name for p in output_dir.glob("mirrors.*.html")
                  if layout.is_manifest_file(p.name)} - keep
    else:
        stale = {p.relative_to(output_dir).as_posix() for p in output_dir.rglob("*")
                 if p.is_file()} - keep if output_dir.is_dir() else set()
    for path in sorted(stale):
        with contextlib.suppress(FileNotFoundError):
            (output_dir / path).unlink()
    for folder in sorted({(output_dir / p).parent for p in stale}, reverse=True):
        with contextlib.suppress(OSError):
            while folder != output_dir and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
