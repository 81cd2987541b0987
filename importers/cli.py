"""`isoko import KIND FILE`: the same import as the console, from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from . import registry


@click.command("import")
@click.argument("kind", type=click.Choice([d.kind for d in registry.all_datasets()]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Vérifie et compte sans rien écrire.")
@click.option("--user", "username", default=None,
              help="Importer au nom de cet utilisateur (et dans son périmètre). Sans lui : national.")
@click.option("--sheet", default=None, help="Feuille du classeur Excel (défaut : la première).")
@with_appcontext
def import_command(kind: str, file: Path, dry_run: bool, username: str | None, sheet: str | None) -> None:
    """Importe un fichier CSV ou Excel (coopératives, produits, offres, commandes, équipements…)."""
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
    request = ImportRequest(kind=kind, path=file, file_name=file.name, user_id=user_id, username=username,
                            scope=scope, dry_run=dry_run, sheet=sheet, source="cli", roles=roles)
    with click.progressbar(length=max(estimate, 1), label="Lignes lues", file=click.get_text_stream("stderr")) as bar:
        result = run_import(db.session, request, progress=bar.update)
    click.echo(f"Import n°{result.batch_id} ({kind}) : {result.summary()}")
    for label, value in result.details.items():
        click.echo(f"  {label} : {value}")
    if not result.ok:
        for error in result.errors[:200]:
            where = f"ligne {error.row}" if error.row else "fichier"
            column = f", colonne « {error.column} »" if error.column else ""
            value = f" [{error.value}]" if error.value else ""
            click.echo(f"  {where}{column}{value} : {error.message}", err=True)
        if result.error_count > 200:
            click.echo(f"  … et {result.error_count - 200} autres erreurs (rapport complet dans la console).", err=True)
        raise SystemExit(1)

