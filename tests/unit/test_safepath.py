"""The safe-path layer: which remote paths a site can hold, and a folder whose writes,
reads and deletes never pass through a link inside it (no server; real files)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mirrorpub.safepath import Folder, LinkInside, NotRegular, is_site_path


@pytest.mark.parametrize("path", [
    "index.html", "articles/a.html", "files/img/map.png", "tags/press-freedom.html",
    "a..b.html", "..hidden-ish", "x/.well-known/y", "ру/статья.html", "a b.html",
])
def test_paths_a_site_can_hold(path: str) -> None:
    assert is_site_path(path)


@pytest.mark.parametrize("path", [
    "", "/etc/passwd", "/tmp/victim.txt", "../victim.txt", "a/../../victim.txt", "a/..",
    "..", ".", "./a.html", "a/./b.html", "a//b.html", "a/", "a\\..\\b", "C:\\x",
    "a\x00b", "a\nb.html", "a\rb", "a\x7fb", "x" * 1025, None, 3, b"index.html",
])
def test_paths_no_site_can_hold(path: object) -> None:
    assert not is_site_path(path)


@pytest.fixture
def mirror(tmp_path: Path) -> tuple[Folder, Path]:
    """A mirror folder holding a link to a folder outside it, with a victim file there."""
    root, outside = tmp_path / "mirror", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "victim.html").write_bytes(b"victim")
    os.symlink(outside, root / "articles")
    return Folder(root), outside


def test_no_write_passes_through_a_linked_folder(mirror: tuple[Folder, Path]) -> None:
    folder, outside = mirror
    with pytest.raises(LinkInside, match="articles/ is a symbolic link"):
        folder.write_bytes("articles/victim.html", b"overwritten")
    with pytest.raises(LinkInside):
        folder.write_bytes("articles/new/page.html", b"new")
    assert sorted(os.listdir(outside)) == ["victim.html"]
    assert (outside / "victim.html").read_bytes() == b"victim"


def test_no_delete_or_read_passes_through_a_linked_folder(mirror: tuple[Folder, Path]) -> None:
    folder, outside = mirror
    with pytest.raises(LinkInside):
        folder.unlink("articles/victim.html")
    with pytest.raises(LinkInside):
        folder.sha256("articles/victim.html")
    folder.prune("articles/victim.html")  # the link is not an empty folder to remove
    assert (outside / "victim.html").read_bytes() == b"victim"
    assert (folder.root / "articles").is_symlink()


def test_a_linked_file_is_replaced_or_removed_itself(mirror: tuple[Folder, Path]) -> None:
    folder, outside = mirror
    os.symlink(outside / "victim.html", folder.root / "index.html")
    with pytest.raises(LinkInside):
        folder.read_bytes("index.html")
    folder.write_bytes("index.html", b"ours")
    assert not (folder.root / "index.html").is_symlink()
    os.symlink(outside / "victim.html", folder.root / "old.html")
    folder.unlink("old.html")
    assert not os.path.lexists(folder.root / "old.html")
    assert (outside / "victim.html").read_bytes() == b"victim"


def test_empty_folders_are_pruned_up_to_the_root_only(tmp_path: Path) -> None:
    (tmp_path / "mirror").mkdir()
    folder = Folder(tmp_path / "mirror")
    folder.write_bytes("a/b/c.html", b"c")
    folder.write_bytes("a/keep.html", b"k")
    folder.unlink("a/b/c.html")
    folder.prune("a/b/c.html")
    assert not (folder.root / "a" / "b").exists() and (folder.root / "a" / "keep.html").exists()
    folder.unlink("a/keep.html")
    folder.prune("a/keep.html")
    assert folder.root.is_dir() and not any(folder.root.iterdir())


def test_listing_skips_links_and_odd_names(mirror: tuple[Folder, Path]) -> None:
    folder, _ = mirror
    folder.write_bytes("index.html", b"index")
    (folder.root / "back\\slash.txt").write_bytes(b"x")
    os.symlink("/etc/hostname", folder.root / "link.txt")
    assert list(folder.files()) == [("index.html", 5)]


@pytest.mark.timeout(20)  # opening a FIFO for reading would wait for a writer forever
def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    folder = Folder(tmp_path)
    os.mkfifo(tmp_path / "index.html")
    with pytest.raises(NotRegular):
        folder.read_bytes("index.html")


def test_paths_that_no_site_can_hold_are_refused_before_any_io(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "mirror")
    for path in ("../victim.txt", str(tmp_path / "victim.txt"), "a//b"):
        with pytest.raises(ValueError):
            folder.write_bytes(path, b"x")
        with pytest.raises(ValueError):
            folder.unlink(path)
    assert not (tmp_path / "mirror").exists() and not (tmp_path / "victim.txt").exists()
