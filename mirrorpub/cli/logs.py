"""Log lines with timestamps, for journald and CI; optionally one JSON object per line.

The library only logs through `logging.getLogger(__name__)`; this sets where it goes.
Every line passes `redact.scrub` on its way out.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from mirrorpub import redact


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {"time": self.formatTime(record), "level": record.levelname.lower(),
                "logger": record.name, "message": record.getMessage()}
        for key in ("mirror", "event", "version", "changed", "seconds", "files", "mirrors"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info and record.levelno >= logging.DEBUG:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(redact.scrub_data(data), ensure_ascii=False)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


class PlainLines(logging.Formatter):
    """`time LEVEL message`, in UTC; tracebacks (-vv) included, secrets never."""

    converter = time.gmtime

    def __init__(self) -> None:
        super().__init__("%(asctime)s.%(msecs)03dZ %(levelname)s %(message)s",
                         "%Y-%m-%dT%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        return redact.scrub(super().format(record))


def configure(level: int, *, json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if json_lines else PlainLines())
    root = logging.getLogger("mirrorpub")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    # Client libraries are chatty at INFO; their own errors reach us as exceptions.
    for noisy in ("botocore", "boto3", "urllib3", "httpx", "httpcore", "s3transfer",
                  "watchdog", "azure"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
