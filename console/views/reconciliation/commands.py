"""`isoko signalements`: the leakage flags of a period on the command line (national scope)."""

from __future__ import annotations

from collections import Counter

import click
from flask.cli import with_appcontext

from console.services.periods import month_end, parse_month, today_local


@click.command("signalements")
@click.option("--debut", required=True, help="Premier mois, AAAA-MM.")
@click.option("--fin", required=True, help="Dernier mois, AAAA-MM.")
@click.option("--au", "as_of", default=None, help="Date d'examen AAAA-MM-JJ (par défaut : aujourd'hui).")
@click.option("--details/--resume", default=False, help="Afficher chaque signalement.")
@with_appcontext
def flags_command(debut: str, fin: str, as_of: str | None, details: bool) -> None:
    """Compte les signalements fiscaux d'une période (toutes provinces)."""
    import datetime as dt

    from console.extensions import db
    from console.security.scoping import NATIONAL
    from console.services.leakage import KIND_LABELS, leakage_flags

    start, end = parse_month(debut), parse_month(fin)
    if start is None or end is None or end < start:
        raise click.BadParameter("indiquez --debut et --fin au format AAAA-MM, dans l'ordre.")
    try:
        day = dt.date.fromisoformat(as_of) if as_of else today_local()
    except ValueError as error:
        raise click.BadParameter("--au attend une date AAAA-MM-JJ.") from error
    from console.services.tax_engine import RuleConflictError

    try:
        flags = leakage_flags(db.session, NATIONAL, start, month_end(end), as_of=day)
    except RuleConflictError as error:
        raise click.ClickException(f"Règles fiscales en conflit, à corriger d'abord : {error}") from error
    counts = Counter(flag.kind for flag in flags)
    for kind, label in KIND_LABELS.items():
        click.echo(f"{label} : {counts[kind]}")
    if details:
        for flag in flags:
            click.echo(f"- [{flag.label}] {flag.seller_name} ({flag.period.label}) : {flag.explanation}")
    db.session.rollback()
