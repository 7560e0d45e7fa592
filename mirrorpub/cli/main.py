"""The `mirrorpub` command: parse, call mirrorpub.commands, print (SPEC §3).

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

from mirrorpub import __version__
from mirrorpub.cli import views
from mirrorpub.cli.console import Console
from mirrorpub.errors import EXIT_ERROR, MirrorpubError, UsageError

log = logging.getLogger("mirrorpub")


def _setup_logging(verbose: int, quiet: bool, json_logs: bool = False) -> None:
    from mirrorpub.cli.logs import configure

    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else
                                         logging.INFO if verbose else logging.WARNING)
    configure(level, json_lines=json_logs)


def command(function: Callable[..., Any]) -> Callable[..., Any]:
    """Common options (-c, -v, -q) and the one place user errors become exit codes. The
    command gets `out`, the Console it prints through."""

    @click.option("-c", "--config", "config_path", default="mirrorpub.toml", show_default=True,
                  type=click.Path(dir_okay=False), help="The site's config file.")
    @click.option("-v", "--verbose", count=True, help="More log lines (-vv for debug).")
    @click.option("-q", "--quiet", is_flag=True, help="Only errors.")
    @functools.wraps(function)
    def wrapper(config_path: str, verbose: int, quiet: bool, **kwargs: Any) -> None:
        _setup_logging(verbose, quiet, kwargs.get("json_logs", False))
        out = Console(quiet=quiet)
        try:
            code = function(out=out, config_path=config_path, **kwargs)
        except MirrorpubError as exc:
            for line in exc.lines():
                out.error(line)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            out.error("interrupted")
            sys.exit(130)
        except Exception as exc:  # a bug: say so in one line; the traceback goes to the log
            log.debug("internal error", exc_info=True)
            out.error(f"internal error: {type(exc).__name__}: {exc} (rerun with -vv "
                      "for details, and please report it)")
            sys.exit(EXIT_ERROR)
        sys.exit(code or 0)

    return wrapper


def _config_given() -> bool:
    """Whether -c was on the command line (init, keygen and verify work without a site)."""
    from click.core import ParameterSource

    source = click.get_current_context().get_parameter_source("config_path")
    return source is ParameterSource.COMMANDLINE


def _site_folder(config_path: str) -> Path:
    """The folder of the site's config: local paths in output are shown relative to it."""
    return Path(config_path).absolute().parent


def _show(out: Console, result: Any, as_json: bool, view: Callable[[Console, Any], None]) -> int:
    """A result as one JSON document (--json) or as its view; its exit code."""
    if as_json:
        out.print_json(result.as_json())
    else:
        view(out, result)
    return int(result.exit_code)


EXIT_CODES = ("Exit codes: 0 success; 1 content, config or build error, or a check before "
              "sending failed (nothing was pushed); 2 usage error; 3 at least one mirror "
              "failed or is not current (the others were updated); 130 / 143 stopped by "
              "Ctrl-C / SIGTERM.")


class _Command(click.Command):
    """Every command's --help ends with the exit codes, which scripts rely on."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        formatter.write_paragraph()
        formatter.write_text(EXIT_CODES)


class _Group(click.Group):
    """Commands listed with their whole summary (click cuts them at ~45 characters)."""

    command_class = _Command
    group_class = type  # `import` lists its commands the same way

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            found = self.get_command(ctx, name)
            if found is not None and not found.hidden:
                rows.append((name, found.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        formatter.write_paragraph()
        formatter.write_text(EXIT_CODES)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mirrorpub")
def main() -> None:
    """Publish a static news site to many mirrors at once."""


@main.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@command
def init(out: Console, config_path: str, directory: str) -> int:
    """Scaffold a site: mirrorpub.toml, a sample draft, and a signing key of its own."""
    from mirrorpub.commands.init import scaffold

    if directory == "." and _config_given():  # `init -c ~/sites/news/mirrorpub.toml`
        directory = str(Path(config_path).parent)
    made = scaffold(Path(directory), config_name=Path(config_path).name)
    for path in made.files:
        out.info(f"created {path}")
    kept = "kept the signing key made earlier for this folder" if made.key_existed else \
        "created a signing key for this site"
    out.info(f"{kept}: {made.key_path} (mode 0600, outside the site folder; keep it secret "
             "and backed up)")
    out.info(f"fingerprint: {made.signer.fingerprint}")
    out.info("public key (give it to readers for `mirrorpub verify --key`):")
    click.echo(made.signer.public_text)
    out.info("next: edit mirrorpub.toml, `mirrorpub new \"Title\"` for an article, then "
             "`mirrorpub serve` to preview or `mirrorpub publish`")
    return 0


@main.command()
@click.argument("title")
@command
def new(out: Console, config_path: str, title: str) -> int:
    """Start an article: content/<slug>.md with its front matter, as a draft."""
    from mirrorpub.commands.new import new_article, shown

    out.say(shown(new_article(config_path, title)))
    out.info("a draft: `mirrorpub serve --drafts` shows it; remove `draft: true` to publish")
    return 0


@main.command()
@click.option("-o", "--output", type=click.Path(file_okay=False), help="Build into DIR.")
@command
def build(out: Console, config_path: str, output: str | None) -> int:
    """Render the site into public/ (or DIR)."""
    from mirrorpub.commands.build import build as run_build

    views.print_build(out, run_build(config_path, output), _site_folder(config_path))
    return 0


@main.command()
@click.option("--mirror", "mirrors", multiple=True, metavar="NAME",
              help="Publish only to this mirror (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what each mirror would get; send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
@click.option("--max-deletes", type=int, default=None, metavar="N",
              help="Refuse to delete more than N files per mirror (default 256; -1: no cap).")
@click.option("--skip-preflight", is_flag=True,
              help="Send even when the checks made before sending find a mirror that "
                   "cannot take it (an emergency: the others still get the site).")
@command
def publish(out: Console, config_path: str, mirrors: tuple[str, ...], dry_run: bool,
            as_json: bool, max_deletes: int | None, skip_preflight: bool) -> int:
    """Build, push to every mirror (or those named), write and push the manifest."""
    from mirrorpub.cli.stop import StopOnSignal
    from mirrorpub.commands.publish import publish as run_publish
    from mirrorpub.errors import Interrupted

    with StopOnSignal() as stop:
        try:
            with out.progress() as progress:
                report = run_publish(config_path, mirrors=mirrors, dry_run=dry_run,
                                     max_deletes=max_deletes, progress=progress,
                                     skip_preflight=skip_preflight, stop=stop.requested)
        except Interrupted as exc:
            out.error(f"{stop.name}: {exc}")
            return stop.exit_code
    code = _show(out, report, as_json, views.print_publish)
    if stop.requested():
        out.error(f"{stop.name}: stopped after finishing the publish: every copy is complete")
        return stop.exit_code
    return code


@main.command()
@click.option("--json", "json_logs", is_flag=True, help="Log lines as JSON objects.")
@click.option("--debounce", type=float, default=1.0, show_default=True,
              help="Seconds of quiet before a burst of changes is published.")
@command
def watch(out: Console, config_path: str, json_logs: bool, debounce: float) -> int:
    """Publish, then republish whenever content, templates or config change."""
    from mirrorpub.commands.watch import watch as run_watch

    params = click.get_current_context().params
    if not params.get("quiet"):  # a service's log lines are its output: INFO by default
        _setup_logging(max(params.get("verbose", 0), 1), False, json_logs)
    return run_watch(config_path, debounce=debounce)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
@command
def status(out: Console, config_path: str, as_json: bool) -> int:
    """Fetch every mirror as a reader would and say how current it is."""
    from mirrorpub.commands.status import status as run_status

    site = _site_folder(config_path)
    return _show(out, run_status(config_path), as_json,
                 lambda out, report: views.print_status(out, report, site))


@main.command()
@click.argument("url")
@click.option("--key", "key", metavar="PUBKEY",
              help="The site's public key (or a file with it); default, inside a site "
                   "folder: that site's own key (its config's signing_key).")
@click.option("--root", "root", metavar="PUBKEY",
              help="The site's root key (or a file with it): follow its keys.json.")
@click.option("--allow-rollback", is_flag=True,
              help="Accept a copy older than one already verified.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
@command
def verify(out: Console, config_path: str, url: str, key: str | None, root: str | None,
           allow_rollback: bool, as_json: bool) -> int:
    """Check a copy's manifest, signature, freshness and every file."""
    from mirrorpub.commands.verify import site_key, site_root
    from mirrorpub.trust.signing import fingerprint, parse_public_key

    def fingerprint_text(text: str) -> str:
        return fingerprint(parse_public_key(text))
    from mirrorpub.commands.verify import verify as run_verify

    if key and root:
        out.error("give --key or --root, not both")
        return 2
    if key is None and root is None and (root := site_root(config_path)) is not None:
        out.info(f"checking against this site's root key ({fingerprint_text(root)}, from its "
                 "keys.json); --key or --root checks another")
    elif key is None and root is None and (own := site_key(config_path)) is not None:
        key = own.public_text
        out.info(f"checking against this site's key ({own.fingerprint}, from "
                 f"{Path(config_path).name}); --key KEY checks another")
    result = run_verify(url, key=key, root=root, allow_rollback=allow_rollback)
    return _show(out, result, as_json,
                 lambda out, result: views.print_verify(out, result, Path.cwd()))


@main.command()
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing key file.")
@click.option("--root", "root", is_flag=True,
              help="A root key: it only delegates and revokes signing keys; keep it offline.")
@command
def keygen(out: Console, config_path: str, path: str | None, force: bool, root: bool) -> int:
    """Create an Ed25519 signing key (mode 0600); print the public key on stdout."""
    from mirrorpub.commands.keygen import keygen as make_key

    if root and not path:
        out.error("keygen --root needs a PATH: where the root key lives, offline (a USB "
                  "stick), never on a machine that publishes")
        return 2
    target, signer = make_key(path, force=force, config_path=None if root else config_path)
    out.info(f"wrote the private key to {views.local(str(target), None)} (mode 0600); keep it "
             "secret and backed up")
    out.info(f"fingerprint: {signer.fingerprint}")
    if root:
        out.info("this is the site's ROOT key: keep it offline. Delegate each publishing "
                 "machine its own key with `mirrorpub keys delegate --root "
                 f"{target} SITE.pub`, revoke a lost one with `mirrorpub keys revoke`; "
                 "give readers the public key below (verify --root)")
    else:
        out.info("set `signing_key` in mirrorpub.toml (or MIRRORPUB_SIGNING_KEY) to sign "
                 "every publish; give readers the public key below")
    click.echo(signer.public_text)
    return 0


@main.group("keys")
def keys_group() -> None:
    """Delegate and revoke signing keys with the site's root key (keys.json)."""


@keys_group.command("delegate")
@click.option("--root", "root_key", required=True, type=click.Path(dir_okay=False),
              metavar="ROOT.key", help="The root key file (from `keygen --root`).")
@click.option("--until", metavar="DATE",
              help="The key may sign until this date (00:00 UTC) or ISO time; default: a "
                   "year from now.")
@click.argument("key", metavar="PUBKEY")
@command
def keys_delegate(out: Console, config_path: str, root_key: str, until: str | None,
                  key: str) -> int:
    """Let PUBKEY (ed25519:… or a file with it) sign the site until DATE."""
    from mirrorpub.commands.keys import delegate

    change = delegate(config_path, root_key, key, until)
    until_text = next(d.not_after for d in change.keys.keys if d.key == change.key)
    out.info(f"{change.path.name} version {change.keys.version}: {change.key} may sign "
             f"until {until_text}; publish to put it on every copy")
    return 0


@keys_group.command("revoke")
@click.option("--root", "root_key", required=True, type=click.Path(dir_okay=False),
              metavar="ROOT.key", help="The root key file (from `keygen --root`).")
@click.argument("key", metavar="PUBKEY")
@command
def keys_revoke(out: Console, config_path: str, root_key: str, key: str) -> int:
    """Revoke PUBKEY: readers who trust the root refuse anything it signs."""
    from mirrorpub.commands.keys import revoke

    change = revoke(config_path, root_key, key)
    out.info(f"{change.path.name} version {change.keys.version}: {change.key} is revoked; "
             "publish (with a delegated key) to put it on every copy")
    return 0


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="The zip file to write.")
@click.option("--car", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the published IPFS copy as this CAR file instead (with -o: both).")
@command
def bundle(out: Console, config_path: str, output: str | None, car: str | None) -> int:
    """The built site as one zip, for offline hand-on; or the IPFS copy as a CAR."""
    from mirrorpub.commands.bundle import bundle as make_bundle
    from mirrorpub.commands.bundle import bundle_car

    if car:
        out.info(views.car_line(bundle_car(config_path, car)))
    if output or not car:
        out.info(views.bundle_line(make_bundle(config_path, output)))
    return 0


@main.command()
@click.option("--port", type=int, default=8000, show_default=True,
              help="Port to listen on (1-65535); when busy, the next free one.")
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--drafts", is_flag=True,
              help="Show drafts too, in the preview only (never in public/ or a copy).")
@click.option("--root", default=None, metavar="DIR",
              help="Serve this folder as it is (a folder copy), without building.")
@command
def serve(out: Console, config_path: str, port: int, bind: str, drafts: bool,
          root: str | None) -> int:
    """Preview the site: rebuilt on every save, open pages reload themselves. With
    --root, serve a folder copy as it is."""
    from mirrorpub.commands.serve import folder_to_serve, open_server
    from mirrorpub.commands.serve import serve as run_serve

    if root:
        if drafts:
            raise UsageError("--drafts: only for the preview, not with --root")
        server = open_server(folder_to_serve(root), bind, port)
        _listening(out, port, server.server_port, bind, "serving the folder")
        run_serve(server)
        return 0
    from mirrorpub.commands.preview import open_preview

    def report(outcome: Any) -> None:
        if isinstance(outcome, MirrorpubError):
            for line in outcome.lines():
                out.error(line)
        else:
            views.print_build(out, outcome)

    with open_preview(config_path, drafts, report) as preview:  # watching from here on
        views.print_build(out, preview.first_build())
        server = open_server(preview.preview.root, bind, port, preview.preview)
        _listening(out, port, server.server_port, bind,
                   "previewing the site" + (" with drafts" if drafts else ""))
        run_serve(server)
    return 0


def _listening(out: Console, asked: int, port: int, bind: str, what: str) -> None:
    if port != asked:
        out.warn(f"port {asked} is busy; using {port} instead")
    out.info(f"{what} at http://{bind}:{port}/index.html (Ctrl-C to stop)")


@main.group("import")
def import_group() -> None:
    """Bring an existing archive into content/: WordPress, Hugo or Jekyll."""


def _import_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options every importer takes."""
    function = click.option("--json", "as_json", is_flag=True,
                            help="Print the report as one JSON document.")(function)
    function = click.option("--force", is_flag=True,
                            help="Replace files that exist with other bytes.")(function)
    return click.option("-o", "--output", default="content", show_default=True,
                        type=click.Path(file_okay=False),
                        help="The content folder to write into.")(function)


@import_group.command("wordpress")
@click.argument("export", type=click.Path(exists=True, dir_okay=False))
@click.option("--uploads", type=click.Path(exists=True, file_okay=False),
              help="The old site's wp-content/uploads folder: its files are copied.")
@click.option("--timezone", metavar="ZONE",
              help="The site's time zone (Asia/Bishkek, +06:00) for posts without a GMT "
                   "date; default: the one most posts show.")
@_import_options
@command
def import_wordpress(out: Console, config_path: str, export: str, uploads: str | None,
                     timezone: str | None, output: str, force: bool, as_json: bool) -> int:
    """Import a WordPress export (Tools → Export): posts, pages and their files."""
    from mirrorpub.commands.importing import import_wordpress as run

    report = run(export, output, uploads=uploads, force=force, timezone=timezone)
    return _show(out, report, as_json, views.print_import)


def _static_importer(kind: str, summary: str) -> None:
    """`mirrorpub import hugo|jekyll SOURCE`: the same options, another reader."""

    @import_group.command(kind, help=summary)
    @click.argument("source", type=click.Path(exists=True, file_okay=False))
    @_import_options
    @command
    def importer(out: Console, config_path: str, source: str, output: str, force: bool,
                 as_json: bool) -> int:
        from mirrorpub.commands import importing

        report = getattr(importing, f"import_{kind}")(source, output, force=force)
        return _show(out, report, as_json, views.print_import)


_static_importer("hugo", "Import a Hugo site's content folder: articles, page bundles, "
                 "their files.")
_static_importer("jekyll", "Import a Jekyll site (the folder holding _posts/): posts, "
                 "drafts, pages, files.")


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
