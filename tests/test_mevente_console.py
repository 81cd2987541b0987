"""Mévente console pages through the real login form: scoping, acknowledging, marking, export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from console import models as m
from console.models.mevente import AlertStatus, MatchSuggestion, MeventeAlert, SuggestionStatus
from console.services.mevente.refresh import refresh_mevente

from . import mevente_factory as f
from .conftest import create_user, login


@pytest.fixture(scope="module")
def scenario(app):
    from console.extensions import db

    with app.app_context():
        rows = f.build_scenario(db.session)
        ids = {name: row.id for name, row in rows.items()}
        refresh_mevente(db.session, f.AS_OF)
        db.session.commit()
        alerts = {
            (a.province.code, a.value_chain.code, a.kind.value): a.id
            for a in db.session.scalars(select(MeventeAlert))
        }
        suggestions = {
            (s.seller.name, s.candidate_key): s.id
            for s in db.session.scalars(select(MatchSuggestion))
        }
    create_user(app, "coord.gitega", "Coordinateur provincial", ["BI-GI"])
    create_user(app, "ministere", "Ministère")
    create_user(app, "obr", "Auditeur fiscal")
    return {"ids": ids, "alerts": alerts, "suggestions": suggestions}


def _alert(scenario, province, chain="haricot", kind="sell_through_low"):
    return scenario["alerts"][(province, chain, kind)]


def _gitega_maize_suggestion(scenario):
    return next(
        i for (seller, _key), i in scenario["suggestions"].items() if seller == "Coop Maïs Gitega"
    )


def _kayanza_suggestion(scenario):
    return next(
        i for (seller, _key), i in scenario["suggestions"].items() if seller == "Coop Maïs Kayanza"
    )


def _text(response) -> str:
    return f.plain(response.get_data(as_text=True))


# -- alerts --------------------------------------------------------------------------------


def test_coordinator_lists_only_their_provinces_alerts(client, scenario):
    login(client, "coord.gitega")
    page = _text(client.get("/mevente/alertes/?statut=toutes"))
    assert "Alertes de mévente" in page
    assert "Gitega" in page and "Haricot" in page
    assert "Kirundo" not in page and "Butanyerera" not in page


def test_ministry_lists_every_provinces_alerts(client, scenario):
    login(client, "ministere")
    page = _text(client.get("/mevente/alertes/?carte=2015"))
    assert "Gitega" in page and "Kirundo" in page


def test_alert_detail_says_why_with_the_figures(client, scenario):
    login(client, "coord.gitega")
    page = _text(client.get(f"/mevente/alertes/{_alert(scenario, 'BI-GI')}"))
    assert "sous le seuil de 10 % fixé par le ministère" in page
    assert "Historique" in page and "Déclenchée" in page


def test_coordinator_gets_404_on_another_provinces_alert(client, scenario):
    login(client, "coord.gitega")
    kirundo = _alert(scenario, "BI-KI")
    assert client.get(f"/mevente/alertes/{kirundo}").status_code == 404
    response = client.post(f"/mevente/alertes/{kirundo}/prise-en-compte", data={"note": "vu"})
    assert response.status_code == 404


def test_coordinator_cannot_acknowledge_another_provinces_alert(app, client, scenario):
    login(client, "coord.gitega")
    kirundo = _alert(scenario, "BI-KI")
    client.post(f"/mevente/alertes/{kirundo}/prise-en-compte", data={"note": "vu"})
    from console.extensions import db

    with app.app_context():
        alert = db.session.get(MeventeAlert, kirundo)
        assert alert.status == AlertStatus.OPEN and alert.acknowledged_by is None


def test_malformed_alert_id_gets_a_french_message(client, scenario):
    login(client, "coord.gitega")
    page = _text(client.get("/mevente/alertes/abc", follow_redirects=True))
    assert "Identifiant invalide : « abc »" in page


def test_acknowledging_without_a_note_is_refused_and_changes_nothing(app, client, scenario):
    login(client, "coord.gitega")
    gitega = _alert(scenario, "BI-GI", kind="unsold_rising")
    page = _text(
        client.post(
            f"/mevente/alertes/{gitega}/prise-en-compte", data={"note": "  "}, follow_redirects=True
        )
    )
    assert "La note est obligatoire" in page
    from console.extensions import db

    with app.app_context():
        alert = db.session.get(MeventeAlert, gitega)
        assert alert.status == AlertStatus.OPEN and len(alert.events) == 1


def test_coordinator_acknowledges_an_alert_with_a_note_kept_in_history(app, client, scenario):
    login(client, "coord.gitega")
    gitega = _alert(scenario, "BI-GI")
    page = _text(
        client.post(
            f"/mevente/alertes/{gitega}/prise-en-compte",
            data={"note": "Réunion avec la minoterie de Ngozi le 12/06"},
            follow_redirects=True,
        )
    )
    assert "Alerte prise en compte" in page
    assert "Réunion avec la minoterie de Ngozi le 12/06" in page
    from console.extensions import db

    with app.app_context():
        alert = db.session.get(MeventeAlert, gitega)
        assert alert.status == AlertStatus.ACKNOWLEDGED
        assert alert.acknowledged_by == "coord.gitega" and alert.acknowledged_at is not None
        assert [(e.action, e.username) for e in alert.events] == [
            ("raised", "système"),
            ("acknowledged", "coord.gitega"),
        ]


def test_tax_auditor_has_no_access_to_mevente_pages(client, scenario):
    login(client, "obr")
    assert client.get("/mevente/alertes/").status_code in (403, 404)
    assert client.get("/mevente/suggestions/").status_code in (403, 404)


# -- suggestions ---------------------------------------------------------------------------


def test_coordinator_sees_suggestions_of_their_cooperative_with_reasons(client, scenario):
    login(client, "coord.gitega")
    page = _text(
        client.get(f"/mevente/suggestions/cooperative/{scenario['ids']['Coop Maïs Gitega']}")
    )
    assert "Minoterie coopérative de Ngozi" in page
    assert "a acheté 1 200 kg de maïs grain en 2025 à 1 050 FBu/kg" in page
    assert "filière farine de maïs utilise le maïs grain" in page


def test_coordinator_gets_404_on_another_provinces_cooperative_and_suggestion(client, scenario):
    login(client, "coord.gitega")
    kayanza = scenario["ids"]["Coop Maïs Kayanza"]
    assert client.get(f"/mevente/suggestions/cooperative/{kayanza}").status_code == 404
    suggestion = _kayanza_suggestion(scenario)
    response = client.post(
        f"/mevente/suggestions/{suggestion}/statut", data={"statut": "contacted"}
    )
    assert response.status_code == 404


def test_suggestion_list_shows_only_the_coordinators_cooperatives(client, scenario):
    login(client, "coord.gitega")
    page = _text(client.get("/mevente/suggestions/"))
    assert "Coop Maïs Gitega" in page and "Coop Maïs Kayanza" not in page


def test_unknown_status_gets_a_french_message_and_changes_nothing(app, client, scenario):
    login(client, "coord.gitega")
    suggestion = _gitega_maize_suggestion(scenario)
    page = _text(
        client.post(
            f"/mevente/suggestions/{suggestion}/statut",
            data={"statut": "vendue"},
            follow_redirects=True,
        )
    )
    assert "Statut inconnu : « vendue »" in page
    from console.extensions import db

    with app.app_context():
        row = db.session.get(MatchSuggestion, suggestion)
        assert row.status == SuggestionStatus.PROPOSED and len(row.events) == 1


def test_coordinator_marks_a_suggestion_contacted(app, client, scenario):
    login(client, "coord.gitega")
    suggestion = _gitega_maize_suggestion(scenario)
    page = _text(
        client.post(
            f"/mevente/suggestions/{suggestion}/statut",
            data={"statut": "contacted", "note": "Appel au gérant"},
            follow_redirects=True,
        )
    )
    assert "Suggestion marquée « Contactée »" in page
    from console.extensions import db

    with app.app_context():
        row = db.session.get(MatchSuggestion, suggestion)
        assert row.status == SuggestionStatus.CONTACTED and row.status_changed_by == "coord.gitega"
        assert row.events[-1].from_status == "proposed" and row.events[-1].to_status == "contacted"


def test_export_xlsx_holds_only_the_coordinators_suggestions(client, scenario):
    login(client, "coord.gitega")
    response = client.get("/mevente/suggestions/export?format=xlsx&statut=toutes")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[1], rows[2:]
    sellers = {row[header.index("Coopérative vendeuse")] for row in body}
    assert sellers == {"Coop Maïs Gitega"}
    best = next(row for row in body if row[header.index("Rang")] == 1)
    assert best[header.index("Acheteur proposé")] == "Minoterie coopérative de Ngozi"
    assert "filière farine de maïs" in best[header.index("Raisons")]


def test_export_csv_for_one_cooperative(client, scenario):
    login(client, "ministere")
    kayanza = scenario["ids"]["Coop Maïs Kayanza"]
    response = client.get(
        f"/mevente/suggestions/export?format=csv&statut=toutes&cooperative={kayanza}"
    )
    text = response.data.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Province du vendeur;Coopérative vendeuse")
    assert len(lines) > 1 and all("Coop Maïs Kayanza" in line for line in lines[1:])


def test_export_refuses_an_unknown_format_in_french(client, scenario):
    login(client, "ministere")
    page = _text(client.get("/mevente/suggestions/export?format=pdf", follow_redirects=True))
    assert "Format inconnu : « pdf »" in page


def test_outcomes_page_counts_suggestions_by_status(client, scenario):
    login(client, "ministere")
    page = _text(client.get("/mevente/suggestions/resultats"))
    assert "Suggestions devenues ventes" in page


def test_reference_tables_are_listed_for_the_ministry(client, scenario):
    login(client, "ministere")
    for path in (
        "/meventethresholdview/list/",
        "/rawmaterialrelationview/list/",
        "/provincedistanceview/list/",
        "/weeklyindicatorview/list/",
        "/forecastchoiceview/list/",
    ):
        assert client.get(path).status_code == 200, path
    page = _text(client.get("/rawmaterialrelationview/list/"))
    assert "Maïs grain" in page and "Farine de maïs" in page


def test_coordinator_reads_but_cannot_edit_thresholds(client, scenario, app):
    login(client, "coord.gitega")
    assert client.get("/meventethresholdview/list/").status_code == 200
    from console.extensions import db

    with app.app_context():
        row_id = db.session.scalar(select(m.Province.id).limit(1))  # any id: the route must refuse
    assert client.get(f"/meventethresholdview/edit/{row_id}").status_code in (403, 404)


def test_coordinator_lists_only_their_provinces_weekly_indicators(client, scenario):
    login(client, "coord.gitega")
    page = _text(client.get("/weeklyindicatorview/list/?psize_WeeklyIndicatorView=100"))
    assert "Gitega" in page
    for other in ("Kirundo", "Ngozi", "Kayanza", "Butanyerera"):
        assert other not in page


def _national_thresholds(app):
    from console.extensions import db
    from console.models.mevente import MeventeThreshold

    with app.app_context():
        row = db.session.scalar(
            select(MeventeThreshold).where(MeventeThreshold.value_chain_id.is_(None))
        )
        return row.id, row.sell_through_min


def test_ministry_threshold_out_of_range_is_refused_in_french(app, client, scenario):
    login(client, "ministere")
    row_id, before = _national_thresholds(app)
    form = {
        "sell_through_min": "1.5",
        "unsold_rise_max": "0.25",
        "min_unsold_value": "100000",
        "horizon_weeks": "4",
        "unsold_age_days": "30",
        "note": "",
    }
    page = _text(
        client.post(f"/meventethresholdview/edit/{row_id}", data=form, follow_redirects=True)
    )
    assert "Entre 0 et 1 : 0,10 signifie 10 pour cent." in page
    assert _national_thresholds(app)[1] == before


def test_ministry_sets_the_national_sell_through_threshold(app, client, scenario):
    login(client, "ministere")
    row_id, _before = _national_thresholds(app)
    form = {
        "sell_through_min": "0.15",
        "unsold_rise_max": "0.25",
        "min_unsold_value": "100000",
        "horizon_weeks": "4",
        "unsold_age_days": "30",
        "note": "Décision du 02/06",
    }
    client.post(f"/meventethresholdview/edit/{row_id}", data=form, follow_redirects=True)
    assert str(_national_thresholds(app)[1]) == "0.1500"


# -- the home page -------------------------------------------------------------------------


def test_home_page_shows_the_weeks_alerts_of_the_users_provinces_only(app, client, scenario):
    login(client, "coord.gitega")
    page = _text(client.get("/"))
    assert "Tableau de bord — Gitega" in page and "Tableau de bord national" not in page
    assert "Alertes de mévente de la semaine" in page
    assert f'href="/mevente/alertes/{_alert(scenario, "BI-GI")}"' in page
    assert "Kirundo" not in page
    client.get("/logout/")
    login(client, "ministere")
    page = _text(client.get("/"))
    assert "Tableau de bord national" in page
    from console.extensions import db

    with app.app_context():
        week = db.session.scalar(
            select(func.max(MeventeAlert.last_week)).where(
                MeventeAlert.status.in_([AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED])
            )
        )
        # Counted under the 2025 map only: the same sales are not alerts twice.
        this_week = db.session.scalar(
            select(func.count())
            .select_from(MeventeAlert)
            .where(
                MeventeAlert.last_week == week,
                MeventeAlert.map_version == "2025",
                MeventeAlert.status.in_([AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]),
            )
        )
    block = page[page.index("isoko-home-alerts") :]
    assert (
        this_week > 0 and block.count('href="/mevente/alertes/') == min(this_week, 5) + 1
    )  # + « Toutes »
    assert (f"et {this_week - 5} autres" in block) == (this_week > 5)


def test_home_page_lists_each_chain_and_province_once(app, scenario):
    from console.extensions import db
    from console.security.scoping import NATIONAL
    from console.services.key_figures import week_alerts

    with app.app_context():
        alerts = week_alerts(db.session, NATIONAL, limit=1000)
        both_maps = db.session.scalar(
            select(func.count())
            .select_from(MeventeAlert)
            .where(
                MeventeAlert.last_week == alerts.week,
                MeventeAlert.status.in_([AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]),
            )
        )
    listed = [(r["value_chain"], r["province"], r["kind"]) for r in alerts.shown]
    assert len(listed) == len(set(listed)) == alerts.count < both_maps
    assert {r["map_version"] for r in alerts.shown} == {"2025"}


def test_home_page_has_no_alerts_for_a_role_without_the_alert_pages(client, scenario):
    login(client, "obr")
    page = _text(client.get("/"))
    assert "Ventes du mois" in page and "Alertes de mévente de la semaine" not in page


def test_pioneers_active_in_the_last_30_days_are_counted_in_scope(app, scenario):
    from console.extensions import db
    from console.security.scoping import NATIONAL, scope_for_user
    from console.services.key_figures import key_figures

    with app.app_context():
        for name in ("Coop Haricot Gitega", "Coop Haricot Kirundo", "Coop Maïs Kayanza"):
            db.session.get(m.Cooperative, scenario["ids"][name]).is_pioneer = True
        db.session.flush()
        gitega = scope_for_user(app.appbuilder.sm.find_user(username="coord.gitega"))
        # Beans sold every week to the end of May 2025; Kayanza's maize last sold in March.
        assert key_figures(db.session, NATIONAL, f.AS_OF).pioneers_active_30_days == 2
        assert key_figures(db.session, gitega, f.AS_OF).pioneers_active_30_days == 1
        assert key_figures(db.session, NATIONAL, f.AS_OF).pioneers == 3
        later = f.AS_OF + dt.timedelta(days=60)
        assert key_figures(db.session, NATIONAL, later).pioneers_active_30_days == 0
        db.session.rollback()


def test_mevente_dashboard_lists_the_active_alerts_of_the_users_scope(app, scenario):
    from console.extensions import db
    from dashboards.charts import chart_data

    from .dashboards_support import signed_in

    period = {"du": "2025-03", "au": "2025-06", "carte": "2015"}
    with app.app_context():
        active = {
            (a.province.name, a.value_chain.name, a.kind.label)
            for a in db.session.scalars(
                select(MeventeAlert).where(
                    MeventeAlert.map_version == "2015",
                    MeventeAlert.status.in_([AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]),
                )
            )
        }
        db.session.rollback()
    with signed_in(app, "ministere"):
        national = chart_data("mevente-alertes", period).frame
    with signed_in(app, "coord.gitega"):
        gitega = chart_data("mevente-alertes", period).frame
    rows = set(
        zip(national["province"], national["value_chain"], national["kind_label"], strict=True)
    )
    assert rows == active and {"Gitega", "Kirundo"} <= set(national["province"])
    assert set(gitega["province"]) == {"Gitega"}
