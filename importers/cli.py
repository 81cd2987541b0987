"""`isoko import KIND FILE`: the same import as the console, from the command line."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from . import registry
from .progress import COUNTED, PHASE_LABELS, READ


class PhaseBar:
    """One bar for the whole import: reading and checking, then writing (each worth the
    file's lines), then the dashboards' aggregates; the label names the phase, the end
    of the line the phase's rate in lines per second."""

    def __init__(self, estimate: int) -> None:
        self.estimate = max(estimate, 1)
        self.bar = click.progressbar(
            length=self.estimate * len(COUNTED),
            label=PHASE_LABELS[READ],
            item_show_func=self._rate,
            file=click.get_text_stream("stderr"),
            show_pos=False,
            show_percent=True,
        )
        self.phase, self.lines, self.started = READ, 0, time.perf_counter()
        self.done = 0

    def __enter__(self) -> PhaseBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, lines: int, phase: str = READ) -> None:
        if phase != self.phase:
            if self.phase in COUNTED:  # the phase is over: its share of the bar is full
                step = self.estimate * (COUNTED.index(self.phase) + 1) - self.done
                self._advance(max(step, 0))
            self.phase, self.lines, self.started = phase, 0, time.perf_counter()
            self.bar.label = PHASE_LABELS.get(phase, phase)
        self.lines += lines
        if phase in COUNTED:
            ceiling = self.estimate * (COUNTED.index(phase) + 1)
            self._advance(max(min(lines, ceiling - self.done), 0))
        else:
            self.bar.render_progress()

    def _advance(self, steps: int) -> None:
        self.done += steps
        self.bar.update(steps)

    def _rate(self, _item) -> str:
        elapsed = time.perf_counter() - self.started
        if not self.lines or elapsed <= 0:
            return ""
        return f"{self.lines / elapsed:,.0f} lignes/s".replace(",", "\u202f")


@click.command("import")
@click.argument("kind", type=click.Choice([d.kind for d in registry.all_datasets()]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Vérifie et compte sans rien écrire.")
@click.option(
    "--user",
    "username",
    default=None,
    help="Importer au nom de cet utilisateur (et dans son périmètre). Sans lui : national.",
)
@click.option("--sheet", default=None, help="Feuille du classeur Excel (défaut : la première).")
@with_appcontext
def import_command(
    kind: str, file: Path, dry_run: bool, username: str | None, sheet: str | None
) -> None:
    """Importe un fichier CSV ou Excel (coopératives, produits, offres, commandes, paiements, équipements…)."""
    from flask import current_app

    from console.extensions import db
    from console.security.scoping import NATIONAL, scope_for_user

    from .command import ImportRequest, run_import
    from .errors import FileRefused
    from .reading import estimate_rows, inspect_file

    if username:
        user = current_app.appbuilder.sm.find_user(username=username)
        if user is None:
            raise click.ClickException(f"Utilisateur inconnu : « {username} ».")
        user_id, scope, roles = user.id, scope_for_user(user), frozenset(r.name for r in user.roles)
    else:
        user_id, username, scope, roles = None, "isoko import", NATIONAL, None
    try:
        estimate = estimate_rows(file, inspect_file(file), sheet)
    except FileRefused:
        estimate = 0
    request = ImportRequest(
        kind=kind,
        path=file,
        file_name=file.name,
        user_id=user_id,
        username=username,
        scope=scope,
        dry_run=dry_run,
        sheet=sheet,
        source="cli",
        roles=roles,
    )
    with PhaseBar(estimate) as bar:
        result = run_import(db.session, request, progress=bar)
    click.echo(f"Import n°{result.batch_id} ({kind}) : {result.summary()}")
    for notice in result.notices:
        click.echo(f"  Note : {notice}")
    for label, value in result.details.items():
        click.echo(f"  {label} : {value}")
    if not result.ok:
        for error in result.errors[:200]:
            where = f"ligne {error.row}" if error.row else "fichier"
            column = f", colonne « {error.column} »" if error.column else ""
            value = f" [{error.value}]" if error.value else ""
            click.echo(f"  {where}{column}{value} : {error.message}", err=True)
        if result.error_count > 200:
            click.echo(
                f"  … et {result.error_count - 200} autres erreurs (rapport complet dans la console).",
                err=True,
            )
        raise SystemExit(1)
