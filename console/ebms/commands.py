"""`isoko ebms-sandbox` (an OBR look-alike for tests, demos and drills) and `isoko ebms-drain`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("ebms-sandbox")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option(
    "--db",
    "db_path",
    default=":memory:",
    show_default=True,
    help="Fichier SQLite des factures enregistrées (en mémoire par défaut).",
)
@click.option(
    "--username",
    default="ws400000000000",
    show_default=True,
    help="Identifiant système attendu au login.",
)
@click.option("--password", default="sandbox", show_default=True)
@click.option("--nif", "known", multiple=True, help="NIF connu de checkTIN (répétable).")
@click.option(
    "--unknown-nif", "unknown", multiple=True, help="NIF refusé comme inconnu (répétable)."
)
@click.option(
    "--known-only",
    is_flag=True,
    help="Seuls les NIF --nif sont connus (sinon tout NIF de 10 chiffres l'est).",
)
@click.option("--latency-ms", default=0.0, show_default=True, type=float)
@click.option(
    "--error-rate", default=0.0, show_default=True, type=float, help="Part des appels en 500."
)
@click.option(
    "--drop-rate",
    default=0.0,
    show_default=True,
    type=float,
    help="Part des appels coupés sans réponse.",
)
@click.option(
    "--timeout-after-write-rate",
    default=0.0,
    show_default=True,
    type=float,
    help="Part des addInvoice enregistrés puis laissés sans réponse.",
)
@click.option(
    "--refuse-rate",
    default=0.0,
    show_default=True,
    type=float,
    help="Part des addInvoice refusés (erreur métier).",
)
@click.option("--token-lifetime-s", default=3600.0, show_default=True, type=float)
@click.option("--down", is_flag=True, help="Démarrer en panne (503) ; voir /_sandbox/faults.")
@click.option("--seed", default=None, type=int, help="Graine des tirages de pannes.")
@click.option("--verbose", is_flag=True, help="Journaliser chaque requête.")
def ebms_sandbox_command(
    host,
    port,
    db_path,
    username,
    password,
    known,
    unknown,
    known_only,
    latency_ms,
    error_rate,
    drop_rate,
    timeout_after_write_rate,
    refuse_rate,
    token_lifetime_s,
    down,
    seed,
    verbose,
) -> None:
    """Lance un bac à sable eBMS (interface de facturation de l'OBR) avec injection de pannes."""
    from .faults import Faults
    from .sandbox import EbmsSandbox
    from .sandbox_store import SandboxStore

    faults = Faults(
        latency_ms=latency_ms,
        error_rate=error_rate,
        drop_rate=drop_rate,
        timeout_after_write_rate=timeout_after_write_rate,
        refuse_rate=refuse_rate,
        token_lifetime_s=token_lifetime_s,
        down=down,
        seed=seed,
    )
    try:
        sandbox = EbmsSandbox(
            host,
            port,
            username=username,
            password=password,
            store=SandboxStore(db_path),
            faults=faults,
            accept_well_formed=not known_only,
            verbose=verbose,
        )
    except OSError as exc:
        raise click.ClickException(
            f"Impossible d'écouter sur {host}:{port} : {exc.strerror}."
        ) from exc
    sandbox.store.add_taxpayers({nif: f"Contribuable {nif}" for nif in known})
    sandbox.state.unknown_nifs.update(unknown)
    click.echo(
        f"Bac à sable eBMS sur {sandbox.url} (utilisateur {username}) ; "
        f"pannes : {sandbox.url.rsplit('/ebms_api/', 1)[0]}/_sandbox/faults. Ctrl-C pour arrêter."
    )
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()


@click.command("ebms-drain")
@click.option(
    "--wait",
    "wait_s",
    default=0.0,
    show_default=True,
    type=float,
    help="Continuer tant que des renvois tombent dans ce délai (secondes).",
)
@with_appcontext
def ebms_drain_command(wait_s: float) -> None:
    """Envoie à l'OBR les factures en attente (sans Redis, ou depuis cron)."""
    from flask import current_app

    from .jobs import OFF, drain_now

    result = drain_now(current_app._get_current_object(), wait_s=wait_s)
    if result is None:
        raise click.ClickException(OFF)
    click.echo(
        f"Enregistrées : {result.registered} (dont {result.found_after_timeout} retrouvées après "
        f"une coupure, {result.duplicates_settled} doublons réglés) ; refusées : {result.refused} ; "
        f"à renvoyer plus tard : {result.retried}."
    )
