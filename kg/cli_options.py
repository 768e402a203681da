"""The options several ``plankg`` commands share (:mod:`plankg.cli`)."""

from __future__ import annotations

from pathlib import Path

import click

from plankg.progress_display import LINE_INTERVAL_S

public_url_option = click.option("--public-url", envvar="PLANKG_PUBLIC_URL", default=None, metavar="URL",
                                 help="URL of the site root, which the metadata's download and endpoint URLs derive "
                                      "from [env PLANKG_PUBLIC_URL; default: the base without its id/].")


def store_options(f):
    f = click.option("--base", envvar="PLANKG_BASE", default=None, metavar="IRI",
                     help="IRI base for minted identifiers [env PLANKG_BASE; default https://w3id.org/plankg/id/].")(f)
    f = click.option("--store", "store", envvar="PLANKG_STORE", default=None, metavar="DIR",
                     type=click.Path(path_type=Path),
                     help="Store directory; with --store-url, where the builds' files go [env PLANKG_STORE; "
                          "default ./var/store].")(f)
    f = click.option("--store-url", envvar="PLANKG_STORE_URL", default=None, metavar="URL",
                     help="Query endpoint of a SPARQL server that holds the graphs instead [env PLANKG_STORE_URL; "
                          "credentials and other endpoints: PLANKG_STORE_* variables, see docs/deploy.md].")(f)
    return f


loader_option = click.option("--loader", "variant", default=None, metavar="NAME",
                             help="Read every PLAN with this loader (default: chosen by file name and content).")
registry_option = click.option("--registry", "registry_file", default=None, metavar="FILE",
                               type=click.Path(path_type=Path, dir_okay=False),
                               help="The sources to load, as a TOML registry (default: the bundled one); "
                                    "not with PLANS.")

progress_option = click.option(
    "--progress/--no-progress", default=True, show_default=True,
    help="Show each stage's progress on stderr: a bar on a terminal, else a line every "
         f"{LINE_INTERVAL_S:g} s and one as it ends.")


__all__ = ["public_url_option", "store_options", "loader_option", "registry_option", "progress_option"]
