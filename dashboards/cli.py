"""``isoko refresh-facts``: rebuild the dashboards' aggregate tables."""

from __future__ import annotations

import datetime as dt
import time

import click
from flask.cli import with_appcontext


@click.command("refresh-facts")
@click.option(
    "--since", default=None, help="Recalculer à partir de ce jour (JJ/MM/AAAA) ; tout sinon."
)
@click.option(
    "--pending",
    is_flag=True,
    help="Seulement les jours modifiés par l'API depuis le dernier calcul (cron de secours).",
)
@with_appcontext
def refresh_facts_command(since: str | None, pending: bool = False) -> None:
    """Recalcule les tables agrégées des tableaux de bord (tout, depuis une date, ou les jours en attente)."""
    from console.extensions import db
    from console.services.facts import refresh_facts

    if pending:
        from console.services.facts_pending import refresh_pending_facts

        result = refresh_pending_facts(db.session)
        db.session.commit()
        click.echo(
            "Aucun jour en attente."
            if result is None
            else f"Jours en attente recalculés depuis le {result.since:%d/%m/%Y} : {result.rows_written} lignes."
        )
        return
    day = None
    if since:
        try:
            day = dt.datetime.strptime(since, "%d/%m/%Y").date()
        except ValueError as error:
            raise click.BadParameter(
                "date attendue au format JJ/MM/AAAA, par exemple 26/06/2023"
            ) from error
    started = time.perf_counter()
    result = refresh_facts(db.session, since=day)
    db.session.commit()
    scope = f"depuis le {day:%d/%m/%Y}" if day else "entièrement"
    click.echo(
        f"Tables agrégées recalculées {scope} : {result.rows_written} lignes "
        f"en {time.perf_counter() - started:.1f} s."
    )
