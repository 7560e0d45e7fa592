"""`mirrorpub bundle`: the site as one zip to read offline and hand on.

What a person handed the zip relies on: it opens into one folder whose index.html works
with no network, README.txt says how to open and check it (in the site's language), the
signed manifest is inside, and `mirrorpub verify FOLDER --key …` passes. What the editor
relies on: the same site gives the same bytes, and a failed build never leaves a broken
or half-written zip behind.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mirrorpub.layout import is_part
from mirrorpub.site.bundle import bundle_bytes
from mirrorpub.trust.signing import check_signature, parse_public_key
from tests.sitekit import (
    REPO,
    article,
    article_paths,
    assert_no_traceback,
    crawl,
    folder_fetcher,
    listed_files,
    mirrorpub,
    write_site,
)

PICTURE = (REPO / "content" / "press-freedom" / "img" / "region-map.png").read_bytes()
RECENT = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0).isoformat()


def make_site(root: Path, *, signed: bool = True, **site: object) -> str | None:
    """A small site; returns the public key line when signed."""
    root.mkdir(parents=True, exist_ok=True)
    public_key = None
    if signed:
        made = mirrorpub("keygen", str(root / "keys" / "site.key"), cwd=root, check=True)
        public_key = made.stdout.strip()
        site["signing_key"] = "keys/site.key"
    write_site(root, {
        "report.md": article("The report", RECENT, "Text.\n\n![A map](img/map.png)\n\n"
                             "[Second](second.md)", tags=["news"]),
        "second.md": article("Second story", RECENT, "More text. [Back](report.md)."),
        "deep/third.md": article("Third story", RECENT, "[Report](../report.md)"),
    }, files={"img/map.png": PICTURE}, mirrors=[
        {"name": "bucket", "type": "s3", "bucket": "news-mirror-one",
         "endpoint_url": "http://127.0.0.1:9"}], **site)
    return public_key


def bundle(root: Path, name: str = "site.zip") -> Path:
    result = mirrorpub("bundle", "-o", name, cwd=root)
    assert result.returncode == 0, result.stderr
    assert_no_traceback(result)
    return root / name


def unzip(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(into)
    (folder,) = [p for p in into.iterdir() if p.is_dir()]
    return folder


def test_the_same_site_gives_the_same_bytes(tmp_path: Path) -> None:
    make_site(tmp_path / "one")
    first = bundle(tmp_path / "one").read_bytes()
    assert bundle(tmp_path / "one", "again.zip").read_bytes() == first  # render cache warm

    # Another editor's checkout: another folder, no build output or cache, new file times.
    other = tmp_path / "elsewhere" / "two"
    shutil.copytree(tmp_path / "one", other, ignore=shutil.ignore_patterns(
        "public", ".mirrorpub", "*.zip"))
    for path in (other / "content").rglob("*"):
        os.utime(path, (1_900_000_000, 1_900_000_000))
    assert bundle(other).read_bytes() == first


def test_the_zip_holds_the_site_the_signed_manifest_and_a_readme(tmp_path: Path) -> None:
    public_key = make_site(tmp_path)
    result = mirrorpub("bundle", "-o", "out/news.zip", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "out/news.zip" in result.stderr and "files" in result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "news.zip") as archive:
        infos = archive.infolist()
        data = {i.filename: archive.read(i) for i in infos}
    names = [i.filename for i in infos]
    assert names == sorted(names)
    folder = "test-site"
    assert {"README.txt", f"{folder}/index.html", f"{folder}/mirrors.html",
            f"{folder}/mirrors.json", f"{folder}/mirrors.json.sig", f"{folder}/bc2.json",
            f"{folder}/feed.xml", f"{folder}/articles/report.html",
            f"{folder}/files/img/map.png"} <= set(names)
    assert all(n == "README.txt" or n.startswith(folder + "/") for n in names)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0), info
        assert info.external_attr >> 16 == 0o100644, info
    assert infos[names.index(f"{folder}/files/img/map.png")].compress_type == zipfile.ZIP_STORED

    manifest_bytes = data[f"{folder}/mirrors.json"]
    key = parse_public_key(public_key)
    assert check_signature(key, manifest_bytes, data[f"{folder}/mirrors.json.sig"])
    inside = {n[len(folder) + 1:]: data[n] for n in names if n != "README.txt"}
    listed = listed_files(inside)
    in_zip = {n for n in inside if not is_part(n)}
    assert set(listed) == in_zip - {"mirrors.json", "mirrors.json.sig"}
    for path, entry in listed.items():
        assert hashlib.sha256(data[f"{folder}/{path}"]).hexdigest() == entry["sha256"], path

    # The private key never travels with the copy.
    private = (tmp_path / "keys" / "site.key").read_bytes()
    raw = base64.b64decode(b"".join(private.splitlines()[1:-1]))
    assert not any(b"PRIVATE KEY" in blob or raw in blob for blob in data.values())


def test_the_unzipped_copy_reads_offline_and_verifies(tmp_path: Path) -> None:
    public_key = make_site(tmp_path / "site")
    folder = unzip(bundle(tmp_path / "site"), tmp_path / "unzipped")

    reader = crawl(folder_fetcher(folder))
    assert not reader.problems, reader.problems
    assert article_paths(reader) == {"articles/report.html", "articles/second.html",
                                     "articles/third.html"}
    assert {"mirrors.html", "files/img/map.png"} <= set(reader.pages)

    # What README.txt tells the reader to run, run where they unzipped it.
    state = {"MIRRORPUB_STATE_HOME": str(tmp_path / "state")}
    checked = mirrorpub("verify", folder.name, "--key", public_key, cwd=folder.parent,
                        env=state)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # A page changed after unzipping is caught.
    page = folder / "articles" / "second.html"
    page.write_bytes(page.read_bytes().replace(b"More text.", b"Other text"))
    tampered = mirrorpub("verify", folder.name, "--key", public_key, cwd=folder.parent,
                         env=state)
    assert tampered.returncode == 1
    assert "articles/second.html" in tampered.stdout + tampered.stderr


def _readme(archive: Path) -> str:
    with zipfile.ZipFile(archive) as opened:
        return opened.read("README.txt").decode("utf-8")


def test_the_readme_speaks_the_sites_language(tmp_path: Path) -> None:
    key = make_site(tmp_path / "fa", title="خبرنامه", language="fa")
    persian = _readme(bundle(tmp_path / "fa"))
    assert "این فایل zip" in persian
    assert f'mirrorpub verify khbrnamh --key "{key}"' in persian
    assert "index.html" in persian

    make_site(tmp_path / "ky", signed=False, title="Kabar", language="ky")
    kyrgyz = _readme(bundle(tmp_path / "ky"))
    assert kyrgyz.startswith("Kabar\n")
    assert "«kabar» папкасын ачыңыз" in kyrgyz
    assert "mirrorpub verify kabar\n" in kyrgyz and "--key" not in kyrgyz

    make_site(tmp_path / "sw", signed=False, title="Habari", language="sw")  # no words yet
    english = _readme(bundle(tmp_path / "sw"))
    assert english.startswith("Habari\n")
    assert 'open the folder "habari"' in english
    assert "mirrorpub verify habari\n" in english and "--key" not in english


def test_a_failed_build_leaves_the_last_bundle_alone(tmp_path: Path) -> None:
    make_site(tmp_path)
    good = bundle(tmp_path).read_bytes()
    (tmp_path / "content" / "broken.md").write_text(
        article("Broken", RECENT, "[gone](missing.md)"), encoding="utf-8")
    result = mirrorpub("bundle", "-o", "site.zip", cwd=tmp_path)
    assert result.returncode == 1
    assert "broken.md" in result.stderr
    assert_no_traceback(result)
    assert (tmp_path / "site.zip").read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith((".zip", ".tmp"))) \
        == ["site.zip"]


def test_bundle_bytes_depends_only_on_the_files_named(tmp_path: Path) -> None:
    out = tmp_path / "public"
    for rel, text in {"index.html": "<p>home</p>", "articles/a.html": "<p>a</p>",
                      "mirrors.json": "{}", "stray.html": "not named"}.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text, encoding="utf-8")
    paths = ["mirrors.json", "index.html", "articles/a.html"]
    made = bundle_bytes(out, paths, "Read me.\n")
    assert bundle_bytes(out, sorted(paths), "Read me.\n") == made
    (out / "stray.html").write_text("changed", encoding="utf-8")
    os.utime(out / "index.html", (1_000_000_000, 1_000_000_000))
    assert bundle_bytes(out, paths, "Read me.\n") == made
    with zipfile.ZipFile(io.BytesIO(made)) as archive:
        assert archive.namelist() == ["README.txt", "site/articles/a.html", "site/index.html",
                                      "site/mirrors.json"]
        assert archive.read("README.txt") == b"Read me.\n"
    assert bundle_bytes(out, paths, "Other.\n") != made


@pytest.mark.parametrize("option", [[], ["-o", "x/y/z.zip"]])
def test_the_zip_lands_where_asked(tmp_path: Path, option: list[str]) -> None:
    root = tmp_path / "kloop"
    make_site(root, signed=False)
    result = mirrorpub("bundle", *option, cwd=root)
    assert result.returncode == 0, result.stderr
    target = root / (option[1] if option else "kloop-site.zip")
    assert zipfile.is_zipfile(target)
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
