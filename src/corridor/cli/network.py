"""`corridor network validate` and `corridor network export`: check and write network folders."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..vocabulary import NETWORK_FORMATS
from .common import ForceOpt, JsonOpt, NetOpt, choices, emit_json, load_net, out, user_errors

network_app = typer.Typer(no_args_is_help=True, help="Check and export network folders.")

if TYPE_CHECKING:  # a choice made from the library's vocabulary: to a type checker, some StrEnum
    NetworkFormat = StrEnum
else:
    NetworkFormat = choices("NetworkFormat", NETWORK_FORMATS)

GMNS = NetworkFormat("gmns")


@network_app.command("validate")
@user_errors
def network_validate(
    folder: Annotated[Path, typer.Argument(help="Folder with node.csv and link.csv.")],
    as_json: JsonOpt = False,
) -> None:
    """Check a network folder; list every problem (file, row, column, reason)."""
    from ..datafiles import bundled_data_dir
    from ..network.io import read_network_tables

    t = read_network_tables(folder, fallback_dir=bundled_data_dir())
    summary = {"folder": str(folder), "ok": True, "nodes": len(t["nodes"]),
               "links": len(t["links"]), "problems": []}
    if as_json:
        emit_json(summary)
    else:
        out.print(f"[green]ok[/]: {folder} — {summary['nodes']} nodes, {summary['links']} links, "
                  "no problems")


@network_app.command("export")
@user_errors
def network_export(
    folder: Annotated[Path, typer.Argument(help="Where to write.")],
    fmt: Annotated[NetworkFormat, typer.Option(
        "--format", help=" or ".join(NETWORK_FORMATS))] = GMNS,
    force: ForceOpt = False,
    network: NetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the network out as GMNS CSV (+ GeoJSON geometry) or one GeoJSON file."""
    from ..network.export import write_network

    paths = write_network(load_net(network), folder, format=fmt.value, overwrite=force)
    if as_json:
        emit_json({"written": [str(p) for p in paths]})
    else:
        for p in paths:
            out.print(f"wrote {p}")
