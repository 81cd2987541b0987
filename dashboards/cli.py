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
@with_appcontext
def refresh_facts_command(since: str | None) -> None:
    """Recalcule les tables agrégées des tableaux de bord (tout, ou depuis une date)."""
    from console.extensions import db
    from console.services.facts import refresh_facts

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
