"""`bundle = true`: every copy also offers the whole site as one zip to download and
hand on; the zip's own manifest checks out once unzipped, and so does the copy's."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from mirrorpub.layout import BUNDLE
from tests.services.seaweed import SeaweedFS
from tests.sitekit import article, crawl, folder_fetcher, listed_files, mirrorpub, write_site

ARTICLES = {"a.md": article("A", body="Alpha. [b](b.md)"), "b.md": article("B", body="Beta.")}


def test_the_zip_goes_out_with_every_copy(tmp_path: Path, seaweed: SeaweedFS) -> None:
    bucket = seaweed.make_bucket()
    key = tmp_path / "site.key"
    public = mirrorpub("keygen", str(key), cwd=tmp_path).stdout.strip()
    write_site(tmp_path / "site", ARTICLES, bundle=True, signing_key=str(key), mirrors=[
        {"name": "usb", "type": "directory", "path": "usb"},
        {"name": "s3", "type": "s3", "bucket": bucket, "endpoint_url": seaweed.endpoint,
         "access_key_id_env": "TEST_S3_KEY", "secret_access_key_env": "TEST_S3_SECRET"}])
    root = tmp_path / "site"
    first = mirrorpub("publish", "--json", cwd=root, env=seaweed.env())
    assert first.returncode == 0, first.stderr

    archive = (root / "usb" / BUNDLE).read_bytes()
    assert seaweed.anonymous_get(bucket, BUNDLE).content == archive
    outer = json.loads((root / "usb" / "mirrors.json").read_text())
    assert listed_files(root / "usb")[BUNDLE] == {"sha256": hashlib.sha256(archive).hexdigest(),
                                      "size": len(archive)}
    assert f'href="{BUNDLE}"' in (root / "usb" / "mirrors.html").read_text()
    assert crawl(folder_fetcher(root / "usb")).problems == []

    unzipped = tmp_path / "unzipped"
    zipfile.ZipFile(io.BytesIO(archive)).extractall(unzipped)
    (folder,) = [p for p in unzipped.iterdir() if p.is_dir()]
    inner = json.loads((folder / "mirrors.json").read_text())
    assert BUNDLE not in listed_files(folder) and inner["version"] == outer["version"]
    for copy in (folder, root / "usb"):
        checked = mirrorpub("verify", str(copy), "--key", public, cwd=tmp_path,
                            env={"MIRRORPUB_STATE_HOME": str(tmp_path / "seen")})
        assert checked.returncode == 0, checked.stdout + checked.stderr

    handed = mirrorpub("bundle", "-o", str(tmp_path / "hand-on.zip"), cwd=root)
    assert handed.returncode == 0, handed.stderr
    assert (tmp_path / "hand-on.zip").read_bytes() == archive  # the very same bytes

    again = json.loads(mirrorpub("publish", "--json", cwd=root, env=seaweed.env()).stdout)
    assert [m["uploaded"] for m in again["mirrors"]] == [0, 0]
