"""The run's results: printed in the terminal and written as the ``load`` section of RESULTS.md."""

from __future__ import annotations

import datetime as dt

from .runner import RunResult
from .stats import endpoint_table, error_lines, summary_lines

SATURATED = (
    " Les cœurs étaient saturés : chaque requête a attendu son tour, et les temps "
    "ci-dessous sont surtout de l'attente (la section `bench` donne ceux d'une machine "
    "au repos)."
)


def _number(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _built(result: RunResult) -> str:
    """How the dataset was built, when this run built it."""
    if not result.seed_timings:
        return " (base déjà construite, réutilisée)"
    steps = ", ".join(f"{k.removesuffix('_s')} {v:.0f} s" for k, v in result.seed_timings.items())
    return f", construites par les commandes `isoko` en {sum(result.seed_timings.values()):.0f} s ({steps})"


def exception_summary(tracebacks: list[str]) -> list[tuple[str, int]]:
    """One line per request, exception and deepest frame, the counts summed."""
    merged: dict[str, int] = {}
    for text in tracebacks:
        first, *frames = text.splitlines()
        count, _, what = first.partition(" × ")
        frame = frames[-1].strip().removeprefix("File ") if frames else ""
        line = what + (f" — `{frame}`" if frame else "")
        merged[line] = merged.get(line, 0) + int(count)
    return sorted(merged.items(), key=lambda item: -item[1])


def drill_lines(result: RunResult) -> list[str]:
    """The drill, step by step, then its verdict."""
    outcome = result.drill
    if outcome is None:
        return ["Exercice de panne : non exécuté (--skip-drill)."]
    lines = [f"- {line}" for line in outcome.log]
    for report in outcome.reports:
        if report.archive_id is None and report.status == "non demandé":
            continue
        verdict = "OK" if report.ok else "ÉCHEC"
        caught = (", surpris en cours" if report.running_at_fault else "") + (
            ", enregistré sans Redis puis mis en file à son retour"
            if report.waited_for_redis
            else ""
        )
        took = f" en {report.took_s:.0f} s" if report.took_s is not None else ""
        lines.append(
            f"- rapport {report.code or '—'} ({report.step}{caught}) : {report.status}{took}, "
            f"téléchargé {'oui' if report.downloaded else 'non'}, authentique "
            f"{'oui' if report.authentic else 'non'} → {verdict}"
            + (f" — {report.error}" if report.error and not report.ok else "")
        )
    probes = sorted(outcome.probes.items(), key=lambda item: str(item[0]))
    answered = sum(count for (_label, status), count in probes if status == 200)
    total = sum(count for _key, count in probes)
    lines.append(
        f"- pendant la coupure Redis, sondes de l'exercice : {answered}/{total} réponses 200"
        + (
            f" ; autres : {', '.join(f'{lb} → {st} ×{n}' for (lb, st), n in probes if st != 200)}"
            if answered != total
            else ""
        )
    )
    if result.outage_load is not None:
        lines.append(
            f"- pendant la coupure, utilisateurs simulés : {result.outage_load['requests']} "
            f"requêtes, {result.outage_load['errors']} erreurs"
        )
    lines.append(
        f"- archive : {outcome.rows_recorded} lignes pour les demandes de l'exercice ; "
        f"redémarrages imprévus du travailleur : {outcome.unplanned_worker_restarts}"
    )
    lines.append(f"- verdict de l'exercice : {'réussi' if outcome.ok else 'ÉCHEC'}")
    lines += [f"  - {problem}" for problem in outcome.problems]
    return lines


def terminal_text(result: RunResult) -> str:
    """What the command prints at the end."""
    stats = result.stats
    parts = [
        "",
        "Résultats par requête (ms) :",
        endpoint_table(stats),
        "",
        *summary_lines(stats),
        result.cpu,
    ]
    if stats.error_count:
        parts += ["", "Erreurs les plus fréquentes :", *error_lines(stats)]
    parts += [
        "",
        f"Rapports des utilisateurs simulés, par état final : {result.reports or 'aucun'}",
        "",
        "Exercice de panne :",
        *drill_lines(result),
        "",
    ]
    if result.tracebacks:
        parts += ["Exceptions dans les journaux (gunicorn, travailleur) :", *result.tracebacks, ""]
    parts.append("Verdict : " + ("RÉUSSI" if not result.problems else "ÉCHEC"))
    parts += [f"  - {problem}" for problem in result.problems]
    return "\n".join(parts)


def markdown(result: RunResult, machine: str, command: str) -> str:
    """The ``load`` section of bench/RESULTS.md."""
    s, stats = result.settings, result.stats
    lines = [
        "## Test de charge et exercice de panne (`python -m bench.load`)"
        + (" — diagnostic sans la liste des commandes" if s.skip_orders else ""),
        "",
        f"Mesuré le {dt.date.today():%d/%m/%Y} avec `{command}`. {machine}",
        "",
        f"Données : {_number(result.counts['order_line'])} lignes de commande, "
        f"{_number(result.counts['sale_order'])} commandes, {_number(result.counts['cooperative'])} "
        f"coopératives{_built(result)}. Service : gunicorn ({s.workers} workers gthread, deploy/gunicorn.conf.py), "
        "un travailleur RQ, Redis privé (cache des tableaux de bord, file des rapports, limiteur "
        "de connexion), PostgreSQL ; tout sur 127.0.0.1, générateur de charge compris, sur la "
        f"même machine. {s.users} utilisateurs simulés (Ministère, PNUD, coordinateurs "
        f"provinciaux, auditeurs OBR), arrivant à {s.spawn_rate:g} par seconde, une action "
        "toutes les 1 à 3 s, pendant "
        f"{s.duration} s : connexion, accueil, listes et recherches, tableaux de bord (page puis "
        "rappels Dash), rapports (génération, file RQ, téléchargement)."
        + (
            " **Diagnostic : sans la liste ni la recherche des commandes.**"
            if s.skip_orders
            else ""
        ),
        "",
        *[f"**{line}**  " if i == 0 else line for i, line in enumerate(summary_lines(stats))],
        "",
        result.cpu + (SATURATED if result.cpu_busy >= 0.9 else ""),
        "",
        endpoint_table(stats),
        "",
        f"Rapports des utilisateurs, par état final : {result.reports or 'aucun'}.",
    ]
    if stats.error_count:
        lines += ["", "Erreurs :", "", *[f"- {line}" for line in error_lines(stats)]]
    lines += ["", "### Exercice de panne", "", *drill_lines(result)]
    if result.tracebacks:
        lines += [
            "",
            "Exceptions relevées dans les journaux (nombre × requête → exception, dernier cadre) :",
            "",
        ]
        lines += [f"- {count} × {line}" for line, count in exception_summary(result.tracebacks)]
    lines += ["", "**Verdict : " + ("réussi**" if not result.problems else "ÉCHEC**")]
    lines += [f"- {problem}" for problem in result.problems]
    return "\n".join(lines)
