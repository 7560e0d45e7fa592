"""Every benchmark, one after the other: `make bench` (about 35 minutes on 2 cores).

    .venv/bin/python benchmarks/run.py [--quick]

    bench_build.py     mirrorpub against Pelican 4: cold, no-change, one-edit builds
    bench_publish.py   mirrorpub against `aws s3 sync` and `rclone sync --checksum`

--quick runs small sizes (500 articles, one run each) to check the scripts work. Tables go
to stdout and to benchmarks/results/summary.md; raw figures to benchmarks/results/*.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    build = ["--articles", "500", "--repeat", "1"] if args.quick else []
    publish = ["--articles", "500", "--repeat", "1"] if args.quick else []
    outputs = []
    for script, extra in (("bench_build.py", build), ("bench_publish.py", publish)):
        result = subprocess.run([sys.executable, str(HERE / script), *extra], check=True,
                                stdout=subprocess.PIPE, text=True)
        print(result.stdout, flush=True)
        outputs.append(result.stdout)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "summary.md").write_text("\n".join(outputs), encoding="utf-8")


if __name__ == "__main__":
    main()
