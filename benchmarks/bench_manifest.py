"""How small the manifest stays (SPEC §12), and what a root key costs a reader (SPEC §11).

    .venv/bin/python benchmarks/bench_manifest.py [--articles 500 10000] [--repeat 3]

For each size: the generated corpus (benchmarks/corpus.py) as a site signed by a key its
root delegates (keys.json), published to a folder copy (untimed). Then:

    mirrors.json      its bytes, and the bytes the first format would have had (every
                      file listed in mirrors.json itself) for the same copy
    parts             how many, and their sizes (smallest, median, largest)
    one edit          corpus.edit_one, then `mirrorpub publish`: the manifest data the
                      copy received (mirrors.json, its .sig and the new parts), and all
                      bytes sent (`publish --json`)
    verify            `mirrorpub verify COPY --root ROOT` from process start to exit
                      (median of --repeat, best in brackets): reads mirrors.json, keys.json,
                      every part, and hashes every file of the copy

A folder copy receives exactly what an object store would (the same planner); its bytes
are read back from the folder. Prints a Markdown table; writes
benchmarks/results/manifest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import corpus  # noqa: E402
from measure import compile_package, machine, table  # noqa: E402

from mirrorpub import layout  # noqa: E402
from mirrorpub.formats import human_bytes  # noqa: E402
from mirrorpub.trust.manifest import encode  # noqa: E402
from mirrorpub.trust.signing import keygen  # noqa: E402

VENV_BIN = Path(sys.executable).parent
WORK = HERE / "work"
RESULTS = HERE / "results"


def mirrorpub(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run the real command line; its stdout. (Not measure.run: it waits for an idle
    machine, which a shared one may never be; the load is said beside the figures.)"""
    result = subprocess.run([str(VENV_BIN / "mirrorpub"), *args], cwd=cwd,
                            env={**os.environ, **(env or {})}, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"mirrorpub {' '.join(args)} exited {result.returncode}:\n"
                         f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout


def listed(copy: Path) -> dict[str, object]:
    manifest = json.loads((copy / layout.MANIFEST).read_bytes())
    files: dict[str, object] = {}
    for entry in manifest["files_index"]:
        files.update(json.loads((copy / entry["path"]).read_bytes())["files"])
    return files


def first_format_size(copy: Path) -> int:
    """mirrors.json of the same copy had every file been listed in it (SPEC §7)."""
    manifest = json.loads((copy / layout.MANIFEST).read_bytes())
    manifest.pop("files_index")
    manifest.pop("key", None)
    manifest.update(schema="mirrorpub.manifest/1", files=dict(sorted(listed(copy).items())))
    return len(encode(manifest))


def parts(copy: Path) -> dict[str, int]:
    manifest = json.loads((copy / layout.MANIFEST).read_bytes())
    return {e["path"]: (copy / e["path"]).stat().st_size for e in manifest["files_index"]}


def bench(count: int, repeat: int) -> dict[str, object]:
    root = WORK / f"m{count}"
    shutil.rmtree(root, ignore_errors=True)
    corpus.write(root, count)
    site, copy = root / "mirrorpub", root / "copy"
    keygen(root / "root.key")
    signer = keygen(root / "site.key")
    config = site / "mirrorpub.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[site]\n", f'[site]\nsigning_key = "{root / "site.key"}"\n', 1)
        + f'\n[[mirrors]]\nname = "usb"\ntype = "directory"\npath = "{copy}"\n',
        encoding="utf-8")
    mirrorpub("keys", "delegate", "--root", str(root / "root.key"), signer.public_text,
              cwd=site)
    print(f"== {count} articles: first publish (untimed)", file=sys.stderr)
    mirrorpub("publish", cwd=site)
    before = parts(copy)
    files = len(listed(copy))
    manifest_bytes = (copy / layout.MANIFEST).stat().st_size

    corpus.edit_one(root, count)
    report = json.loads(mirrorpub("publish", "--json", cwd=site))
    sent_all = sum(m["bytes_sent"] for m in report["mirrors"])
    after = parts(copy)
    new_parts = {p: s for p, s in after.items() if p not in before}
    edit_manifest = sum(new_parts.values()) + (copy / layout.MANIFEST).stat().st_size + \
        (copy / layout.SIGNATURE).stat().st_size

    root_public = (root / "root.pub")
    root_public.write_text(_public(root / "root.key") + "\n")
    times = []
    for n in range(repeat):
        started = time.monotonic()
        shown = mirrorpub("verify", str(copy), "--root", str(root_public), cwd=root,
                          env={"MIRRORPUB_STATE_HOME": str(root / f"seen{n}")})
        times.append(time.monotonic() - started)
        assert "OK: this copy is genuine" in shown, shown
    sizes = sorted(after.values())
    return {"articles": count, "files": files, "mirrors_json": manifest_bytes,
            "first_format": first_format_size(copy), "parts": len(after),
            "part_min": sizes[0], "part_median": int(statistics.median(sizes)),
            "part_max": sizes[-1], "edit_parts": len(new_parts),
            "edit_manifest_bytes": edit_manifest, "edit_sent_bytes": sent_all,
            "verify_median": statistics.median(times), "verify_best": min(times)}


def _public(path: Path) -> str:
    from mirrorpub.trust.signing import Signer, read_key_file

    return Signer(read_key_file(path, "root")).public_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[500, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    compile_package()
    rows = [bench(count, args.repeat) for count in args.articles]
    headers = ["articles", "files", "mirrors.json", "first format would be", "parts",
               "part sizes (min / median / max)", "one edit: new parts",
               "one edit: manifest bytes", "one edit: all bytes sent", "verify --root"]
    lines = [[r["articles"], r["files"], human_bytes(r["mirrors_json"]),
              human_bytes(r["first_format"]), r["parts"],
              " / ".join(human_bytes(r[k]) for k in ("part_min", "part_median", "part_max")),
              r["edit_parts"], human_bytes(r["edit_manifest_bytes"]),
              human_bytes(r["edit_sent_bytes"]),
              f"{r['verify_median']:.2f} s ({r['verify_best']:.2f} s)"] for r in rows]
    print(table(headers, lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "manifest.json").write_text(json.dumps({"machine": machine(), "rows": rows},
                                                      indent=2) + "\n")


if __name__ == "__main__":
    main()
