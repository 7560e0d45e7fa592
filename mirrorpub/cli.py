"""The `mirrorpub` command: parse, call the library, print (SPEC §3).

Exit codes: 0 success; 1 content, config or build error (nothing pushed); 2 usage error;
3 publish finished but at least one mirror failed. Errors are one line on stderr, never
a traceback (add -v to see one in the log when reporting a bug).
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from mirrorpub import __version__, console
from mirrorpub.errors import EXIT_ERROR, ConfigError, MirrorpubError

log = logging.getLogger("mirrorpub")


def _setup_logging(verbose: int, quiet: bool, json_logs: bool = False) -> None:
    from mirrorpub.logs import configure

    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else
                                         logging.INFO if verbose else logging.WARNING)
    configure(level, json_lines=json_logs)


def command(function: Callable[..., Any]) -> Callable[..., Any]:
    """Common options (-c, -v, -q) and the one place user errors become exit codes."""

    @click.option("-c", "--config", "config_path", default="mirrorpub.toml", show_default=True,
                  type=click.Path(dir_okay=False), help="The site's config file.")
    @click.option("-v", "--verbose", count=True, help="More log lines (-vv for debug).")
    @click.option("-q", "--quiet", is_flag=True, help="Only errors.")
    @functools.wraps(function)
    def wrapper(config_path: str, verbose: int, quiet: bool, **kwargs: Any) -> None:
        _setup_logging(verbose, quiet, kwargs.get("json_logs", False))
        console.quiet = quiet
        try:
            code = function(config_path=config_path, **kwargs)
        except ConfigError as exc:
            for problem in exc.problems:
                console.error(f"{exc.file}: {problem}")
            sys.exit(exc.exit_code)
        except MirrorpubError as exc:
            console.error(str(exc))
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            console.error("interrupted")
            sys.exit(130)
        except Exception as exc:  # a bug: say so in one line; the traceback goes to the log
            log.debug("internal error", exc_info=True)
            console.error(f"internal error: {type(exc).__name__}: {exc} (rerun with -vv "
                          "for details, and please report it)")
            sys.exit(EXIT_ERROR)
        sys.exit(code or 0)

    return wrapper


def _load(config_path: str, **overrides: Any) -> Any:
    from mirrorpub.config import load_config

    return load_config(config_path, **overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mirrorpub")
def main() -> None:
    """Publish a static news site to many mirrors at once."""


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@command
def init(config_path: str, directory: str) -> int:
    """Scaffold a site: mirrorpub.toml and one sample article."""
    from mirrorpub.scaffold import scaffold

    created = scaffold(Path(directory), config_name=Path(config_path).name)
    for path in created:
        console.info(f"created {path}")
    console.info("next: edit mirrorpub.toml, then run `mirrorpub build` or `mirrorpub publish`")
    return 0


@main.command()
@click.option("-o", "--output", type=click.Path(file_okay=False), help="Build into DIR.")
@command
def build(config_path: str, output: str | None) -> int:
    """Render the site into public/ (or DIR)."""
    from mirrorpub.publish import build_only

    result = build_only(_load(config_path, output_dir=output))
    console.info(f"built {len(result.files)} files, {len(result.entries)} articles into "
                 f"{result.output_dir} ({result.rendered} rendered, {result.reused} unchanged)")
    return 0


@main.command()
@click.option("--mirror", "mirrors", multiple=True, metavar="NAME",
              help="Publish only to this mirror (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what each mirror would get; send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
@click.option("--max-deletes", type=int, default=None, metavar="N",
              help="Refuse to delete more than N files per mirror (default 256; -1: no cap).")
@command
def publish(config_path: str, mirrors: tuple[str, ...], dry_run: bool, as_json: bool,
            max_deletes: int | None) -> int:
    """Build, push to every mirror (or those named), write and push the manifest."""
    from mirrorpub.plan import DEFAULT_MAX_DELETES
    from mirrorpub.publish import publish as run_publish

    config = _load(config_path)
    cap = DEFAULT_MAX_DELETES if max_deletes is None else max_deletes
    with console.progress_display() as progress:
        report = run_publish(config, only=list(mirrors) or None, dry_run=dry_run,
                             max_deletes=cap, progress=progress)
    if as_json:
        console.print_json(report.as_json())
    else:
        _print_publish(report)
    return report.exit_code


def _print_publish(report: Any) -> None:
    if report.dry_run:
        for mirror in report.mirrors:
            console.say(f"{mirror.name}: {mirror.error or mirror.plan}")
            for line in mirror.plan_lines:
                console.say(f"  {line}")
        console.info("dry run: nothing was sent")
        return
    for mirror in report.mirrors:
        o = mirror.outcome
        if mirror.ok:
            facts = " ".join(f"{k}={v}" for k, v in sorted(o.facts.items()) if k == "cid")
            console.say(
                f"{mirror.name}: ok in {mirror.seconds:.1f} s: {o.uploaded} sent "
                f"({console.human_bytes(o.bytes_sent)}), {o.deleted} deleted, "
                f"{o.requests} requests {facts}".rstrip())
        else:
            console.error(f"{mirror.name}: FAILED after {mirror.seconds:.1f} s: {mirror.error}")
        for warning in o.warnings:
            console.warn(f"{mirror.name}: {warning}")
        if o.problem:
            console.error(f"{mirror.name}: {o.problem}")
    state = "new version" if report.changed else "nothing changed; version stays"
    console.info(f"manifest: {state} {report.version}")


@main.command()
@click.option("--json", "json_logs", is_flag=True, help="Log lines as JSON objects.")
@click.option("--debounce", type=float, default=1.0, show_default=True,
              help="Seconds of quiet before a burst of changes is published.")
@command
def watch(config_path: str, json_logs: bool, debounce: float) -> int:
    """Publish, then republish whenever content, templates or config change."""
    from mirrorpub.watch import watch as run_watch

    params = click.get_current_context().params
    if not params.get("quiet"):  # a service's log lines are its output: INFO by default
        _setup_logging(max(params.get("verbose", 0), 1), False, json_logs)
    return run_watch(Path(config_path), debounce=debounce)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
@command
def status(config_path: str, as_json: bool) -> int:
    """Fetch every mirror as a reader would and say how current it is."""
    from mirrorpub.status import check_all

    report = check_all(_load(config_path))
    if as_json:
        console.print_json(report.as_json())
    else:
        from mirrorpub.status_view import print_status

        print_status(report)
    return report.exit_code


@main.command()
@click.argument("url")
@click.option("--key", "key", metavar="PUBKEY", help="The site's public key (or a file with it).")
@click.option("--allow-rollback", is_flag=True,
              help="Accept a copy older than one already verified.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
@command
def verify(config_path: str, url: str, key: str | None, allow_rollback: bool,
           as_json: bool) -> int:
    """Check a copy's manifest, signature, freshness and every file."""
    from mirrorpub.verify import verify_copy

    result = verify_copy(url, key=key, allow_rollback=allow_rollback)
    if as_json:
        console.print_json(result.as_json())
    else:
        for line in result.lines():  # text from the copy: shown as is
            console.say(line)
    return result.exit_code


@main.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing key file.")
@command
def keygen(config_path: str, path: str | None, force: bool) -> int:
    """Create an Ed25519 signing key (mode 0600); print the public key on stdout."""
    from mirrorpub.signing import keygen as make_key

    target = Path(path or "~/.config/mirrorpub/site.key").expanduser()
    signer = make_key(target, force=force)
    console.info(f"wrote the private key to {target} (mode 0600); keep it secret and backed up")
    console.info(f"fingerprint: {signer.fingerprint}")
    console.info("set `signing_key` in mirrorpub.toml (or MIRRORPUB_SIGNING_KEY) to sign "
                 "every publish; give readers the public key below")
    click.echo(signer.public_text)
    return 0


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="The zip file to write.")
@command
def bundle(config_path: str, output: str | None) -> int:
    """The built site as one zip, for offline hand-on."""
    from mirrorpub.bundle import make_bundle

    config = _load(config_path)
    target = Path(output) if output else Path(f"{config.root.name or 'site'}-site.zip")
    result = make_bundle(config, target)
    console.info(f"wrote {result.path} ({console.human_bytes(result.size)}, {result.files} "
                 f"files; it unzips into {result.folder}/ beside README.txt)")
    return 0


@main.command()
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--bind", default="127.0.0.1", show_default=True)
@command
def serve(config_path: str, port: int, bind: str) -> int:
    """Build and preview the site locally."""
    from mirrorpub.publish import build_only
    from mirrorpub.serve import serve as run_serve

    config = _load(config_path)
    build_only(config)
    console.info(f"serving {config.site.output_dir} at http://{bind}:{port}/index.html "
                 "(Ctrl-C to stop)")
    run_serve(config.site.output_dir, bind, port)
    return 0


def run() -> None:
    """The program's entry point (console script, `python -m mirrorpub`): main(), then exit
    without tearing the heap down, which after a 10,000-article build costs ~0.2 s and
    buys nothing. Output is flushed and every thread joined by then."""
    # Everything imported so far lives as long as the process: keep the cyclic collector
    # from walking it again and again, and let it run less often. A build with nothing to
    # do spent a fifth of its time collecting (most objects here are acyclic cache data).
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        main()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = EXIT_ERROR
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code or 0)
