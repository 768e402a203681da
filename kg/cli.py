"""The ``plankg`` command line: thin commands over library functions.

This module is the one place where user errors (:class:`plankg.errors.PlanKGError`) become a
one-line message on stderr and an exit code. Heavy libraries (rdflib, pyshacl, the store) are
imported inside the commands that need them, so ``plankg query`` starts fast; the format table
(:mod:`plankg.formats`, which loads pyoxigraph's module, a small cost) gives the ``--format`` choices.

Exit codes:
  0  success
  1  the graph does not conform to the SHACL shapes (build, validate); nothing was published
  2  bad input or usage: a plan file, a query, an option
  3  store problem: missing, not a plankg store, or another build is running
  130 interrupted
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from plankg import formats
from plankg.examples import REPORTS
from plankg.errors import PlanKGError, ValidationFailed
from plankg.cli_options import loader_option, progress_option, public_url_option, registry_option, store_options
from plankg.progress_display import display

EXIT_CODES = {0: "success", 1: "graph violates the shapes", 2: "bad input or usage", 3: "store problem", 130: "interrupted"}


class _Group(click.Group):
    """Turns PlanKGError into ``plankg: error: …`` and its exit code; no traceback for user errors."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ValidationFailed as e:
            click.echo(e.report, err=True)
            click.echo(f"plankg: error: {e}", err=True)
            ctx.exit(e.exit_code)
        except PlanKGError as e:
            click.echo(f"plankg: error: {e}", err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("plankg: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="plankg")
def main() -> None:
    """plankg: a knowledge graph of Taiwanese annual administrative plans (年度施政計畫)."""


@main.command()
@click.argument("plans", nargs=-1, type=click.Path(path_type=Path))
@store_options
@public_url_option
@loader_option
@registry_option
@progress_option
def build(plans: tuple[Path, ...], store: Path | None, store_url: str | None, base: str | None,
          public_url: str | None, variant: str | None, registry_file: Path | None, progress: bool) -> None:
    """Parse, link, validate and publish PLANS, or every source of the registry (default: the
    bundled one: the plan, the 2018-2019 central budget and the national law index), to the store.

    The store is replaced atomically: if anything fails, the published store is untouched.
    stdout gets the counts, with each stage's time; stderr, each stage's progress.
    """
    from plankg.build import pipeline as pipeline
    from plankg.config import resolve
    from plankg.build.stats import summary_lines

    settings = resolve(store, base, public_url, store_url)
    compiled, _ = pipeline.build(list(plans), settings.location, settings.base, settings.public_url, variant=variant,
                                 registry_file=registry_file, progress=display("build", progress))
    for line in summary_lines(compiled):
        click.echo(line)
    for w in compiled.report.warnings:
        click.echo(w.render(), err=True)
    click.echo(f"published to {settings.location}")
    _leave_to_the_os()


_LEAVING: list[bool] = []  # set by a build: the process may end without freeing its heap (entry)


def _leave_to_the_os() -> None:
    """The process ends after this: keep the collector off what it holds, and let :func:`entry`
    end the process without freeing it. A build leaves millions of objects (rdflib graphs, the
    graphs' lines, alignment's rankings), which Python would free one by one at exit (about 2 s
    at 1,000 plans); the OS takes the memory back at once."""
    import gc

    gc.freeze()
    _LEAVING.append(True)


def entry() -> None:
    """The ``plankg`` console script: :func:`main`, then, after a build, :func:`os._exit` with its
    output flushed (:func:`main` called in-process, as by click's test runner, returns as usual)."""
    try:
        main()
    except SystemExit as done:
        if _LEAVING and (done.code is None or isinstance(done.code, int)):
            import os

            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(done.code or 0)
        raise


@main.command()
@click.argument("plans", nargs=-1, type=click.Path(path_type=Path))
@click.option("--base", envvar="PLANKG_BASE", default=None, metavar="IRI", help="IRI base for minted identifiers.")
@loader_option
@registry_option
@progress_option
def validate(plans: tuple[Path, ...], base: str | None, variant: str | None, registry_file: Path | None,
             progress: bool) -> None:
    """Check PLANS, or every source of the registry (default: the bundled one), against the
    shapes without publishing.

    Exit 0 if the graph conforms (warnings are printed), 1 if it violates the shapes.
    """
    from plankg.build import pipeline as pipeline
    from plankg.config import resolve

    settings = resolve(None, base)
    compiled = pipeline.compile_sources(pipeline.read_sources(list(plans), registry_file, variant), settings.base,
                                        display("validate", progress))
    report = compiled.report
    if report.findings:
        click.echo(report.text())
    if not report.conforms:
        raise ValidationFailed(report.text(), len(report.violations))
    click.echo(f"conforms ({len(report.warnings)} warning(s))")


@main.command()
@click.argument("query", required=False)
@click.option("-f", "--format", "fmt", default=None, type=click.Choice(formats.cli_names()),
              help="Output format (default: table for SELECT, true/false for ASK, Turtle for graphs).")
@click.option("--named-graphs", is_flag=True, help="Do not merge the named graphs into the default graph.")
@click.option("-e", "--example", metavar="NAME", default=None,
              help="Run the example query NAME (see `plankg examples`) instead of QUERY.")
@store_options
def query(query: str | None, fmt: str | None, named_graphs: bool, example: str | None, store: Path | None,
          store_url: str | None, base: str | None) -> None:
    """Run a SPARQL QUERY: the text, @FILE, or - / nothing for stdin; or a named --example."""
    from plankg.sparql.limits import check as check_limits

    if example is not None:
        if query is not None:
            raise click.UsageError("give a QUERY or --example, not both")
        from plankg.examples import example as named

        text = named(example).query
    else:
        text = _query_text(query)
    check_limits(text)  # before pyoxigraph: nesting it cannot survive is refused
    _print_query(text, resolve_store(store, store_url, base).location, fmt, union=not named_graphs)


def _print_query(text: str, location, fmt: str | None, union: bool = True) -> None:
    from plankg.output import print_query

    print_query(text, location, fmt, union)


def resolve_store(store: Path | None, store_url: str | None, base: str | None, public_url: str | None = None):
    from plankg.config import resolve

    return resolve(store, base, public_url, store_url)


@main.command()
@click.argument("name", type=click.Choice(list(REPORTS)))
@click.option("-f", "--format", "fmt", type=click.Choice(("table", "csv", "tsv", "json", "md")), default="table",
              show_default=True, help="table: tab-separated; csv, tsv, json: SPARQL results; md: a Markdown table.")
@click.option("--plan", metavar="PLAN", default=None,
              help="Only this plan: its IRI or its path under the base, e.g. mol/108 (not for target-groups, laws).")
@store_options
def report(name: str, fmt: str, plan: str | None, store: Path | None, store_url: str | None, base: str | None) -> None:
    """Print a report: the named example query it runs (`plankg examples`), so the UI shows the same."""
    from plankg.examples import report_query

    settings = resolve_store(store, store_url, base)
    _print_query(report_query(name, plan, settings.base), settings.location, fmt)


@main.command()
@click.option("--lang", type=click.Choice(["zh-Hant", "en"]), default="en", help="Language of the titles.")
def examples(lang: str) -> None:
    """List the named example queries (run one with `plankg query --example NAME`)."""
    from plankg.examples import examples as found

    for ex in found():
        click.echo(f"{ex.name}\t{ex.get('title', lang)}")


def _query_text(arg: str | None) -> str:
    if arg is None or arg == "-":
        if sys.stdin.isatty():
            raise PlanKGError("no query given: pass it as an argument, as @FILE, or on stdin")
        return sys.stdin.read()
    if arg.startswith("@"):
        try:
            return Path(arg[1:]).read_text(encoding="utf-8")
        except OSError as e:
            raise PlanKGError(f"{arg[1:]}: cannot read query file ({e.strerror})") from None
    return arg


_EXPORTS = formats.export_formats()
_KEEP_GRAPHS = " and ".join(name for name, f in _EXPORTS.items() if f.carries == formats.QUADS)
_UNION = " and ".join(name for name, f in _EXPORTS.items() if f.carries == formats.TRIPLES)
_PLAN = " and ".join(name for name, f in _EXPORTS.items() if f.carries == formats.PLAN_DOCUMENT)


@main.command()
@click.option("-f", "--format", "fmt", default=next(iter(_EXPORTS)), show_default=True,
              type=click.Choice(list(_EXPORTS)),
              help=f"{_KEEP_GRAPHS} keep the named graphs; {_UNION} are the union as triples; "
                   f"{_PLAN} writes one plan as a StratML Part 1 (ISO 17469-1) document.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help=f"Write to FILE instead of stdout ({_PLAN}: or into an existing DIRECTORY, a file per plan).")
@click.option("--plan", default=None, metavar="PLAN",
              help=f"{_PLAN}: the plan, its IRI or its path under the base (mol/108); "
                   "default: the store's only plan, or every plan into the -o directory.")
@store_options
def export(fmt: str, output: Path | None, plan: str | None, store: Path | None, store_url: str | None,
           base: str | None) -> None:
    """Dump the whole store, or write plans as StratML documents."""
    from plankg.output import export_to

    settings = resolve_store(store, store_url, base)
    written = export_to(settings.location, fmt, output, plan, settings.base)
    if output is not None and output.is_dir():
        for path in written:
            click.echo(path)


@main.command()
@store_options
def stats(store: Path | None, store_url: str | None, base: str | None) -> None:
    """Counts of the published store: graphs, triples, and plan contents."""
    from plankg.build.stats import store_stats

    for line in store_stats(resolve_store(store, store_url, base).location):
        click.echo(line)


@main.command()
@click.option("--host", envvar="PLANKG_HOST", default="127.0.0.1", show_default=True,
              help="Interface to listen on [env PLANKG_HOST]; the default is loopback only.")
@click.option("--port", envvar="PLANKG_PORT", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port [env PLANKG_PORT].")
@click.option("--workers", envvar="PLANKG_WORKERS", default=None, type=click.IntRange(1),
              help="gunicorn worker processes [env PLANKG_WORKERS; default: one per CPU; 1 with updates].")
@click.option("--threads", envvar="PLANKG_THREADS", default=16, show_default=True, type=click.IntRange(1),
              help="Connections each worker serves at once, a thread each [env PLANKG_THREADS].")
@click.option("--timeout-s", envvar="PLANKG_QUERY_TIMEOUT_S", default=None, type=click.FloatRange(min=0, min_open=True),
              help="Query/update time limit in seconds; longer ones get 503 [env PLANKG_QUERY_TIMEOUT_S; default 30].")
@click.option("--update-token-env", default="PLANKG_UPDATE_TOKEN", show_default=True, metavar="NAME",
              help="Environment variable holding the bearer token that enables SPARQL Update and "
                   "Graph Store writes (unset: read-only). Never pass the token itself on the command line.")
@click.option("--allow-federation", "allow", multiple=True, metavar="PREFIX", envvar="PLANKG_FEDERATION_ALLOWLIST",
              help="IRI prefix that SERVICE and LOAD may reach; repeatable [env PLANKG_FEDERATION_ALLOWLIST, "
                   "space-separated; default: none].")
@click.option("--dev", is_flag=True, help="Flask's single-process development server, for debugging only.")
@store_options
@public_url_option
def serve(host: str, port: int, workers: int | None, threads: int, timeout_s: float | None, update_token_env: str,
          allow: tuple[str, ...], dev: bool, store: Path | None, store_url: str | None, base: str | None,
          public_url: str | None) -> None:
    """Serve the SPARQL 1.1 endpoint (/sparql), Graph Store (/store), linked-data pages and UI.

    Builds the bundled plans first if the store does not exist.
    """
    from plankg.server.serving import serve as server

    settings = resolve_store(store, store_url, base, public_url)
    info = server.published_info(settings)  # builds first if nothing is; not a plankg store: exit 3 now
    server.check_public_url(settings.public_url, info)
    config = {**server.settings_from_env(), "STORE": str(settings.store), "STORE_URL": settings.store_url,
              "BASE": settings.base,
              "PUBLIC_URL": settings.public_url,
              "UPDATE_TOKEN": server.update_token(update_token_env)}
    if timeout_s is not None:
        config["QUERY_TIMEOUT_S"] = timeout_s
    if allow:
        config["FEDERATION_ALLOWLIST"] = tuple(allow)
    server.run(config, server.Listen(host=host, port=port, workers=workers, threads=threads, dev=dev))


if __name__ == "__main__":  # pragma: no cover
    entry()
