"""`isoko report` (generate from the command line, e.g. cron) and `isoko worker` (the RQ worker)."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .queue import lower_cpu_priority, session_niceness
from .registry import reports


@click.command("report")
@click.argument("name", type=click.Choice(sorted(reports())))
@click.option(
    "--period",
    help="Mois AAAA-MM, trimestre AAAA-T1…T4 ou année AAAA (calendrier de Bujumbura) ; "
    "par défaut le mois précédent, pour cron.",
)
@click.option("--province", default="", help="Code de province (ex. BI-GI) ; national si absent.")
@click.option("--map", "map_version", default="", help="Carte de regroupement : 2015 ou 2025.")
@click.option("--cooperative", default="", help="Numéro de la coopérative (fiche coopérative).")
@click.option("--assignment", default="", help="Numéro de la remise (bon de remise).")
@click.option("--cohort", default="", help="Numéro de la cohorte (programme pilote).")
@click.option("--order", default="", help="Référence ou numéro de la commande (facture).")
@click.option(
    "--format", "fmt", type=click.Choice(["pdf", "xlsx"]), default="pdf", show_default=True
)
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="Copier aussi le fichier ici."
)
@click.option(
    "--user", default="cron", show_default=True, help="Nom inscrit comme demandeur dans l'archive."
)
@with_appcontext
def report_command(
    name, period, province, map_version, cooperative, assignment, cohort, order, fmt, output, user
):
    """Génère un rapport, l'archive et affiche son code de vérification."""
    from console.extensions import db
    from console.security.scoping import NATIONAL
    from console.services.audit import Actor, acting_as
    from console.services.periods import last_complete_month

    from .archive import Requester, create_entry, stored_file
    from .generation import run_archived_report
    from .parameters import OutOfScope, ParameterError, resolve
    from .verification import display_code

    spec = reports()[name]
    if "period" in spec.parameters and not period:
        period = f"{last_complete_month():%Y-%m}"
    if fmt not in spec.formats:
        raise click.UsageError(
            f"Le rapport « {name} » n'existe qu'en {', '.join(spec.formats).upper()}."
        )
    raw = {
        "period": period,
        "province": province,
        "map": map_version,
        "cooperative": cooperative,
        "assignment": assignment,
        "cohort": cohort,
        "order": order,
    }
    try:
        params = resolve(db.session, spec.parameters, raw, NATIONAL)
    except ParameterError as exc:
        raise click.UsageError("\n".join(exc.messages)) from exc
    except OutOfScope as exc:
        raise click.UsageError(f"Introuvable : {exc}.") from exc
    with acting_as(Actor(None, user, "cli")):
        archive = create_entry(db.session, spec, params, fmt, Requester(None, user, "cli"))
        db.session.commit()
        archive_id = archive.id
        try:
            run_archived_report(archive_id)
        except Exception as exc:
            raise click.ClickException(f"La génération a échoué : {exc}") from exc
    archive = db.session.get(type(archive), archive_id)
    path = stored_file(current_app, archive)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, output)
    click.echo(f"{archive.title} ({fmt.upper()})")
    click.echo(f"  code de vérification : {display_code(archive.code)}")
    click.echo(f"  fichier archivé : {path}")
    if output is not None:
        click.echo(f"  copie : {output}")
    click.echo(f"  SHA-256 : {archive.sha256}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="S'arrêter quand la file est vide.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Lance le travailleur RQ des rapports, des gros imports et des factures OBR (ISOKO_REDIS_URL requis)."""
    from rq import Queue, Worker

    from console.ebms.jobs import ebms_queue, schedule_drain
    from console.extensions import db
    from importers.jobs import QUEUE as IMPORTS_QUEUE

    from .queue import (
        MAINTENANCE_INTERVAL_S,
        WORKER_TTL_S,
        queue_waiting,
        redis_connection,
        report_queue,
    )
    from .schedule import queue_schedule

    connection = redis_connection(current_app)
    if connection is None:
        raise click.ClickException(
            "ISOKO_REDIS_URL n'est pas défini : sans Redis, les rapports sont générés dans le "
            "processus de la console et aucun travailleur n'est nécessaire."
        )
    # Small reports a request is waiting on first, then large reports (people wait for
    # them too), then large imports (importers.jobs), then the OBR invoices (console.ebms.jobs):
    # a drain job lasts seconds and queues its successor, so reports get in between.
    queues = [
        report_queue(current_app, connection, immediate=True),
        report_queue(current_app, connection),
        Queue(IMPORTS_QUEUE, connection=connection),
        ebms_queue(current_app, connection),
    ]
    names = ", ".join(f"« {q.name} »" for q in queues)
    # Jobs run in forked children, which inherit the priority: pages come first.
    niceness = lower_cpu_priority(current_app.config["WORKER_NICE"])
    session = session_niceness()
    click.echo(
        f"Travailleur des rapports, des imports et des factures OBR sur les files {names} "
        f"({current_app.config['REDIS_URL']}), priorité CPU nice {niceness}"
        + ("" if session is None else f", session nice {session}")
        + "."
    )
    app = current_app._get_current_object()

    def queue_waiting_reports() -> int:
        """Queue reports left waiting by a Redis outage, a drain of the OBR outbox and a pass
        of the schedule when something is due (reports.schedule), then close the database
        connections: each job runs in a forked child, and no socket may be shared across the
        fork."""
        queued = queue_waiting(app)
        schedule_drain(app, connection)
        queue_schedule(app, connection)
        db.session.remove()
        db.engine.dispose()
        return queued

    class ReportWorker(Worker):
        """RQ's worker, whose periodic maintenance also queues reports left waiting."""

        def run_maintenance_tasks(self):
            super().run_maintenance_tasks()
            queued = queue_waiting_reports()
            if queued:
                self.log.info("%s rapport(s) en attente mis dans la file", queued)

    from console.ebms.client import EbmsSettings
    from console.ebms.jobs import OFF
    from console.services.mail import OFF as MAIL_OFF
    from console.services.mail import MailSettings

    if EbmsSettings.from_config(current_app.config) is None:
        click.echo(OFF)
    if MailSettings.from_config(current_app.config) is None:
        click.echo(MAIL_OFF)
    if current_app.config.get("SCHEDULE_ENABLED", True):
        click.echo(
            "Planification : abonnements aux rapports, vérifications de la nuit et mévente du "
            f"lundi, dues à {current_app.config['SCHEDULE_HOUR']} h (heure de Bujumbura)."
        )
    else:
        click.echo("Planification désactivée (ISOKO_SCHEDULE=off) : un autre hôte la tient.")
    queue_waiting_reports()
    ReportWorker(
        queues,
        connection=connection,
        maintenance_interval=MAINTENANCE_INTERVAL_S,
        worker_ttl=WORKER_TTL_S,
    ).work(burst=burst)


@click.command("run-schedule")
@click.option(
    "--subscriptions-only", is_flag=True, help="Seulement les abonnements (pas les tâches)."
)
@with_appcontext
def run_schedule_command(subscriptions_only: bool) -> None:
    """Exécute ce qui est dû : abonnements, vérifications de la nuit, mévente (sans Redis)."""
    from console.services.mail import OFF as MAIL_OFF
    from console.services.mail import MailSettings

    from .schedule import run_schedule

    if MailSettings.from_config(current_app.config) is None:
        click.echo(MAIL_OFF)
    summary = run_schedule(current_app._get_current_object(), tasks=not subscriptions_only)
    click.echo(summary.describe())
