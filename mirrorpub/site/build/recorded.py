"""The recorded build, read back from the cache: the articles it published, the files it
made and its entries, without reading or parsing any source (a build with nothing to do,
or only a few bodies to render again: patch.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from mirrorpub.model import FileEntry
from mirrorpub.site.build.cache import RenderCache
from mirrorpub.site.build.listings import Placed, Shown
from mirrorpub.site.pages import Entry


def published(cache: RenderCache, show_drafts: bool) -> list[dict[str, Any]]:
    """The records of the articles the recorded build published."""
    return [r for r in cache.articles.values() if show_drafts or not r["front"].get("draft")]


def outputs(cache: RenderCache, records: list[dict[str, Any]]
            ) -> list[tuple[str, dict[str, Any]]]:
    """(site path, recorded entry) of every output the recorded build wrote (`records`:
    its published articles', from published())."""
    found = [(r["output"], r["entry"]) for r in records]
    found += [(r["output"], r["entry"]) for r in cache.assets.values()]
    found += [(path, r["entry"]) for path, r in cache.pages.items()]
    return found


def recorded(cache: RenderCache, records: list[dict[str, Any]], language: str
             ) -> tuple[dict[str, FileEntry], Sequence[Entry]]:
    """The recorded build's site files and entries (`records`: its published articles',
    sorted here)."""
    newest_first(records)
    return files(cache, records), RecordEntries(records, language)


def newest_first(records: list[dict[str, Any]]) -> None:
    """Sort article records as `articles.newest_first` sorts articles: by date, newest
    first, by slug where dates are equal."""
    records.sort(key=lambda r: r["slug"])
    records.sort(key=lambda r: datetime.fromisoformat(r["front"]["date"]), reverse=True)


def files(cache: RenderCache, records: list[dict[str, Any]]) -> dict[str, FileEntry]:
    """The recorded build's site files, sorted (`records`: its published articles')."""
    made = outputs(cache, records)
    return {path: FileEntry(**entry) for path, entry in sorted(made, key=lambda o: o[0])}


def shown(records: list[dict[str, Any]]) -> list[Shown]:
    """What the listings need of each article (listings.render_listings), without making
    its entry (entry_of does, for the pages rendered); `records`: newest first, each with
    its "listed" key (listings.entry_key)."""
    return [Shown(r["slug"], tuple(r["front"].get("tags", ())), f"{r['slug']} {r['listed']}",
                  r) for r in records]


def entry_of(record: dict[str, Any], language: str) -> Entry:
    """What articles.make_entry makes of the article this record describes (`language`:
    the site's, for an article that names none)."""
    front = record["front"]
    return Entry(slug=record["slug"], title=front["title"], date=front["date"],
                 updated=front.get("updated"), summary=record["summary"],
                 lang=front.get("lang") or language, author=front.get("author"),
                 tags=tuple(front.get("tags", ())))


def languages(cache: RenderCache, default: str, show_drafts: bool) -> set[str]:
    """The languages of the published articles the recorded build answers for."""
    return {r["front"].get("lang") or default for r in cache.articles.values()
            if show_drafts or not r["front"].get("draft")}


class RecordEntries(Sequence[Entry]):
    """The recorded build's entries, made from its records when first asked for: a
    publish with nothing to send never asks, and making 10,000 costs a tenth of a second."""

    def __init__(self, records: list[dict[str, Any]], language: str,
                 placed: Sequence[Placed] | None = None) -> None:
        """`placed`: what listed() answers, when the caller has it already (shown())."""
        self._records = records
        self._language = language
        self._placed = placed
        self._made: tuple[Entry, ...] | None = None

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, index: Any) -> Any:
        if self._made is None:
            self._made = tuple(entry_of(r, self._language) for r in self._records)
        return self._made[index]

    def listed(self) -> Sequence[Placed]:
        """What the manifest's age ranks need of each entry, without making the entries
        (listings.age_ranks): a third of the manifest's time at 10,000 articles."""
        if self._placed is not None:
            return self._placed
        if self._made is not None:
            return self._made
        return [_Placed(r["slug"], tuple(r["front"].get("tags", ()))) for r in self._records]


class _Placed(NamedTuple):
    slug: str
    tags: tuple[str, ...]


_Loaded = tuple[dict[str, FileEntry], Sequence[Entry]]


class Once:
    """The recorded build's files and entries, read from the cache once, when first asked
    for (from any of the threads that plan the copies)."""

    def __init__(self, load: Callable[[], _Loaded]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._value: _Loaded | None = None

    def get(self) -> _Loaded:
        with self._lock:
            if self._value is None:
                self._value = self._load()
            return self._value


class Files(Mapping[str, FileEntry]):
    """A stamped build's files: counted by its stamp, read from the cache on first use."""

    def __init__(self, once: Once, count: int) -> None:
        self._once, self._count = once, count

    def _files(self) -> dict[str, FileEntry]:
        return self._once.get()[0]

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, path: str) -> FileEntry:
        return self._files()[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files())

    def __contains__(self, path: object) -> bool:
        return path in self._files()

    def keys(self) -> Any:
        return self._files().keys()

    def items(self) -> Any:
        return self._files().items()

    def values(self) -> Any:
        return self._files().values()


class Entries(Sequence[Entry]):
    """A stamped build's entries: counted by its stamp, read from the cache on first use."""

    def __init__(self, once: Once, count: int) -> None:
        self._once, self._count = once, count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        return self._once.get()[1][index]

    def listed(self) -> Sequence[Placed]:
        entries = self._once.get()[1]
        assert isinstance(entries, RecordEntries)
        return entries.listed()
