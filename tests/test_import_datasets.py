"""Importing each dataset: all-or-nothing, every error reported, idempotent, traced and scoped."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from console.models.imports import ImportOutcome

from .conftest import create_user, login
from .import_support import COOPERATIVES_CSV, ORDERS_CSV, PRODUCTS_CSV, fingerprint, run_as


@pytest.fixture(scope="module")
def loaded(app):
    """Three cooperatives, four products and three orders, imported through the importers."""
    create_user(app, "ministere", "Ministère")
    create_user(app, "coord_ki", "Coordinateur provincial", ["BI-KI"])
    create_user(app, "auditeur", "Auditeur fiscal")
    for kind, content in (
        ("cooperatives", COOPERATIVES_CSV),
        ("products", PRODUCTS_CSV),
        ("orders", ORDERS_CSV),
    ):
        result = run_as(app, kind, content, username="ministere")
        assert result.outcome == ImportOutcome.APPLIED, result.errors
    return app


def _count(app, table: str) -> int:
    from console.extensions import db

    with app.app_context():
        return db.session.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def test_valid_files_create_their_rows(loaded):
    assert _count(loaded, "cooperative") == 3
    assert _count(loaded, "product") == 4
    assert _count(loaded, "order_line") == 4
    assert _count(loaded, "sale_order") == 3
    assert _count(loaded, "buyer") == 2  # « Hôtel du Lac » and « hotel du lac » are one buyer


@pytest.mark.parametrize(
    ("kind", "content"),
    [("cooperatives", COOPERATIVES_CSV), ("products", PRODUCTS_CSV), ("orders", ORDERS_CSV)],
)
def test_importing_the_same_file_twice_changes_nothing(loaded, kind, content):
    before = fingerprint(loaded)
    result = run_as(loaded, kind, content, username="ministere")
    assert (result.outcome, result.created, result.updated) == (ImportOutcome.APPLIED, 0, 0)
    assert result.unchanged == result.rows_total == content.count("\n") - 1
    assert fingerprint(loaded) == before


def test_order_lines_are_stamped_by_the_tax_engine(loaded):
    from console.extensions import db
    from console.models import OrderLine, Product, TaxRule
    from console.services.tax.engine import RuleSpec, SaleLine, compute_line

    with loaded.app_context():
        rules = [RuleSpec.from_record(r) for r in db.session.scalars(sa.select(TaxRule))]
        lines = db.session.scalars(sa.select(OrderLine)).all()
        for line in lines:
            order, product = line.order, db.session.get(Product, line.product_id)
            from console.services.periods import BUJUMBURA

            expected = compute_line(
                SaleLine(
                    order.seller.vat_registered,
                    product.category_id,
                    order.placed_at.astimezone(BUJUMBURA).date(),
                    line.unit_price,
                    line.quantity,
                    order.prices_include_tax,
                ),
                rules,
            )
            assert (line.net, line.tax, line.gross, line.tax_rule_id) == (
                expected.net,
                expected.tax,
                expected.gross,
                expected.rule_id,
            )
        # 12,5 kg × 2 900 FBu TTC, seller registered, beans at the reduced 10 % rate.
        first = next(
            line for line in lines if line.order.reference == "CMD-1" and line.line_no == 1
        )
        assert (first.gross, first.net, first.tax) == (36250, 32955, 3295)


def test_file_tax_that_disagrees_with_the_engine_is_an_error_naming_both(loaded):
    before = fingerprint(loaded)
    content = (
        "Référence de commande;Ligne;Date de commande;Vendeur;Acheteur;SKU;Quantité;Prix unitaire;TVA\n"
        "CMD-9;1;26/06/2023;ANACOOP/KI/001;Client;KI-HAR-001;12,5;2 900;6 525\n"
    )
    result = run_as(loaded, "orders", content, username="ministere")
    assert result.outcome == ImportOutcome.REJECTED
    message = result.errors[0].message
    assert "6\u202f525" in message and "3\u202f295" in message
    assert fingerprint(loaded) == before


def test_file_tax_that_agrees_with_the_engine_is_accepted(loaded):
    content = (
        "Référence de commande;Ligne;Date de commande;Vendeur;Acheteur;SKU;Quantité;Prix unitaire;TVA;Taux de TVA\n"
        "CMD-1;1;26/06/2023 14:05;ANACOOP/KI/001;Hôtel du Lac;KI-HAR-001;12,5;2 900;3 295;10 %\n"
    )
    result = run_as(loaded, "orders", content, username="ministere", dry_run=True)
    assert result.outcome == ImportOutcome.DRY_RUN, result.errors


COOP_HEADER = "Numéro d'enregistrement;Nom;Province;Membres\n"
ORDER_HEADER = (
    "Référence de commande;Ligne;Date de commande;Vendeur;Acheteur;SKU;Quantité;Prix unitaire\n"
)

MALFORMED = {
    "missing_column": (
        "cooperatives",
        "Numéro d'enregistrement;Nom\nANACOOP/X/1;Coop X\n",
        "obligatoire manquante",
    ),
    "ambiguous_column": (
        "orders",
        ORDER_HEADER.strip() + ";Montant\n"
        "CMD-8;1;26/06/2023;ANACOOP/KI/001;A;KI-HAR-001;1;100;100\n",
        "Intitulé ambigu",
    ),
    "bad_date": (
        "orders",
        ORDER_HEADER + "CMD-8;1;31/02/2023;ANACOOP/KI/001;A;KI-HAR-001;1;100\n",
        "Date impossible",
    ),
    "negative_quantity": (
        "orders",
        ORDER_HEADER + "CMD-8;1;26/06/2023;ANACOOP/KI/001;A;KI-HAR-001;-3;100\n",
        "strictement positif",
    ),
    "absurd_quantity": (
        "orders",
        ORDER_HEADER + "CMD-8;1;26/06/2023;ANACOOP/KI/001;A;KI-HAR-001;5000000;100\n",
        "invraisemblable",
    ),
    "unknown_province": (
        "cooperatives",
        COOP_HEADER + "ANACOOP/X/1;Coop X;Atlantis;12\n",
        "Province inconnue",
    ),
    "duplicate_keys": (
        "cooperatives",
        COOP_HEADER + "ANACOOP/X/1;Coop X;Gitega;12\nanacoop/x/1;Coop Y;Gitega;3\n",
        "Doublon",
    ),
    "duplicate_order_lines": (
        "orders",
        ORDER_HEADER + "CMD-8;1;26/06/2023;ANACOOP/KI/001;A;KI-HAR-001;1;100\n"
        "CMD-8;1;26/06/2023;ANACOOP/KI/001;A;KI-HAR-001;2;100\n",
        "Doublon",
    ),
    "formula": (
        "cooperatives",
        COOP_HEADER + "ANACOOP/X/1;=HYPERLINK(A1);Gitega;12\n",
        "Formule refusée",
    ),
    "cut_mid_row": (
        "cooperatives",
        COOP_HEADER + "ANACOOP/X/1;Coop X;Gitega;12\nANACOOP/X/2;Coop",
        "incomplète",
    ),
    "cut_in_quotes": ("cooperatives", COOP_HEADER + 'ANACOOP/X/1;"Coop X', "tronqué"),
    "empty": ("cooperatives", "", "vide"),
    "header_only": ("cooperatives", COOP_HEADER, "Aucune ligne"),
    "wrong_encoding": ("cooperatives", COOP_HEADER.encode("utf-16"), "CSV UTF-8"),
    "not_a_workbook": ("cooperatives", b"PK\x03\x04 broken", "classeur Excel"),
    "seller_changes": (
        "orders",
        ORDER_HEADER + "CMD-1;1;26/06/2023 14:05;ANACOOP/NG/003;Hôtel du Lac;NG-RIZ-001;1;100\n",
        "autre vendeur",
    ),
    "lines_disagree": (
        "orders",
        ORDER_HEADER + "CMD-8;1;26/06/2023;ANACOOP/KI/001;A;KI-HAR-001;1;100\n"
        "CMD-8;2;27/06/2023;ANACOOP/KI/001;A;KI-HAR-001;1;100\n",
        "même commande",
    ),
    "product_of_other_seller": (
        "orders",
        ORDER_HEADER + "CMD-8;1;26/06/2023;ANACOOP/KI/001;A;NG-RIZ-001;1;100\n",
        "n'appartient pas",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_gives_a_french_error_and_changes_nothing(loaded, case):
    kind, content, words = MALFORMED[case]
    name = "classeur.xlsx" if case == "not_a_workbook" else "fichier.csv"
    before = fingerprint(loaded)
    batches = _count(loaded, "import_batch")
    result = run_as(loaded, kind, content, username="ministere", name=name)
    assert result.outcome == ImportOutcome.REJECTED
    assert any(words in e.message for e in result.errors), [e.message for e in result.errors]
    assert fingerprint(loaded) == before
    assert _count(loaded, "import_batch") == batches + 1  # the refused attempt is logged


def test_every_error_of_the_file_is_reported_with_row_and_column(loaded):
    content = (
        COOP_HEADER + "ANACOOP/X/1;Coop X;Atlantis;12\nANACOOP/X/2;Coop Y;Gitega;douze\n"
        "ANACOOP/X/3;;Gitega;-4\n"
    )
    result = run_as(loaded, "cooperatives", content, username="ministere")
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(2, "Province"), (3, "Membres"), (4, "Nom"), (4, "Membres")}


def test_dry_run_counts_without_writing(loaded):
    before = fingerprint(loaded)
    content = (
        COOPERATIVES_CSV.replace("Twiyungunganye;Kirundo", "Twiyungunganye;Kirundo").replace(
            ";40;", ";41;"
        )
        + "ANACOOP/KI/009;Coopérative Nouvelle;Kirundo;Kirundo;15;5;non;non\n"
    )
    result = run_as(loaded, "cooperatives", content, username="ministere", dry_run=True)
    assert (result.outcome, result.created, result.updated, result.unchanged) == (
        ImportOutcome.DRY_RUN,
        1,
        1,
        2,
    )
    assert fingerprint(loaded) == before


def test_every_written_row_is_traceable_to_its_batch(loaded):
    from console.extensions import db
    from console.models import Cooperative, ImportBatchRow

    content = COOP_HEADER + "ANACOOP/BB/010;Coopérative Traçable;Bubanza;11\n"
    result = run_as(loaded, "cooperatives", content, username="ministere")
    with loaded.app_context():
        coop = db.session.scalars(
            sa.select(Cooperative).filter_by(registration_number="ANACOOP/BB/010")
        ).one()
        trace = db.session.scalars(
            sa.select(ImportBatchRow).filter_by(batch_id=result.batch_id)
        ).all()
        assert [(t.table_name, t.action, t.row_id_from, t.row_id_to) for t in trace] == [
            ("cooperative", "insert", coop.id, coop.id)
        ]
        events = db.session.execute(
            sa.text(
                "SELECT source, username FROM audit_event WHERE table_name = 'cooperative' AND row_id = :id"
            ),
            {"id": coop.id},
        ).all()
        assert events == [("import", "ministere")]


def test_order_import_writes_one_audit_event_and_traces_line_ranges(loaded):
    from console.extensions import db

    content = ORDER_HEADER + "".join(
        f"CMD-T;{n};28/06/2023;ANACOOP/GI/002;Client T;GI-LAI-001;{n};1 000\n" for n in range(1, 6)
    )
    # Events of the tables the import writes (the dashboards' refresh logs its own).
    events = (
        "(SELECT * FROM audit_event WHERE table_name IN ('order_line', 'sale_order', 'buyer')) AS e"
    )
    events_before = _count(loaded, events)
    result = run_as(loaded, "orders", content, username="ministere")
    assert result.created == 5
    with loaded.app_context():
        trace = db.session.execute(
            sa.text(
                "SELECT table_name, action, row_id_to - row_id_from + 1 FROM import_batch_row "
                "WHERE batch_id = :b ORDER BY table_name"
            ),
            {"b": result.batch_id},
        ).all()
    assert ("order_line", "insert", 5) in [tuple(t) for t in trace]
    assert _count(loaded, events) == events_before + 1


def test_coordinator_importing_another_provinces_row_is_refused(loaded):
    before = fingerprint(loaded)
    content = (
        COOP_HEADER
        + "ANACOOP/KI/001;Coopérative Twiyungunganye;Kirundo;40\nANACOOP/GI/002;Dukorere;Gitega;12\n"
    )
    result = run_as(loaded, "cooperatives", content, username="coord_ki")
    assert result.outcome == ImportOutcome.REJECTED
    assert [(e.row, e.column) for e in result.errors] == [(3, "Province")]
    assert "hors de votre périmètre" in result.errors[0].message
    assert fingerprint(loaded) == before


def test_coordinator_may_update_but_not_register_cooperatives(loaded):
    content = COOP_HEADER + "ANACOOP/KI/077;Coopérative Inconnue;Kirundo;10\n"
    result = run_as(loaded, "cooperatives", content, username="coord_ki")
    assert result.outcome == ImportOutcome.REJECTED
    assert "Création refusée" in result.errors[0].message


def test_coordinator_journey_three_errors_then_fixed_then_nothing_changes(loaded):
    """SCENARIOS.md, provincial coordinator, step 1."""
    header = "Numéro d'enregistrement;Nom;Province;Commune;Membres;Membres femmes\n"
    bad_file = (
        header
        + (
            "ANACOOP/KI/001;Coopérative Twiyungunganye;Kirundo;Busoni;45;quinze\n"  # not a number
            "ANACOOP/KI/001;Coopérative Twiyungunganye;Kirundo;Atlantide;45;20\n"  # unknown commune
            "ANACOOP/KI/001;Coopérative Twiyungunganye;Kirundo;Busoni;45;60\n"  # more women than members
        )
    )
    before = fingerprint(loaded)
    result = run_as(loaded, "cooperatives", bad_file, username="coord_ki")
    assert result.outcome == ImportOutcome.REJECTED
    problems = {(e.row, e.column) for e in result.errors if "Doublon" not in e.message}
    assert problems == {(2, "Membres femmes"), (3, "Commune"), (4, "Membres femmes")}
    assert all(e.message.endswith(".") for e in result.errors)
    assert fingerprint(loaded) == before
    fixed = header + "ANACOOP/KI/001;Coopérative Twiyungunganye;Kirundo;Busoni;45;20\n"
    first = run_as(loaded, "cooperatives", fixed, username="coord_ki")
    assert (first.outcome, first.updated) == (ImportOutcome.APPLIED, 1)
    after_fix = fingerprint(loaded)
    again = run_as(loaded, "cooperatives", fixed, username="coord_ki")
    assert (again.outcome, again.created, again.updated, again.unchanged) == (
        ImportOutcome.APPLIED,
        0,
        0,
        1,
    )
    assert fingerprint(loaded) == after_fix


def test_xlsx_first_or_named_sheet_is_imported(loaded):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["rien à importer ici"])
    sheet = workbook.create_sheet("Équipements")
    sheet.append(
        [
            "Numéro d'inventaire",
            "Numéro de série",
            "Type",
            "Date d'achat",
            "Coût d'achat",
            "Province",
        ]
    )
    sheet.append(["PNUD-TAB-0001", "R58N12ABCDE", "Tablette", 45062, 450000, "Kirundo"])
    out = io.BytesIO()
    workbook.save(out)
    result = run_as(
        loaded,
        "devices",
        out.getvalue(),
        username="ministere",
        name="stock.xlsx",
        sheet="Équipements",
    )
    assert (result.outcome, result.created) == (ImportOutcome.APPLIED, 1), result.errors
    first_sheet = run_as(loaded, "devices", out.getvalue(), username="ministere", name="stock.xlsx")
    assert first_sheet.outcome == ImportOutcome.REJECTED
    assert any("Ligne d'en-têtes introuvable" in e.message for e in first_sheet.errors)


def test_remittances_and_listings_and_attendance_import(loaded):
    from console.extensions import db
    from console.models import TrainingSession

    remittances = (
        "Référence de la quittance OBR;Coopérative;Début de période;Fin de période;Montant;Date de versement\n"
        "OBR-2023-000123;ANACOOP/KI/001;01/04/2023;30/06/2023;1 234 567;14/07/2023\n"
    )
    assert run_as(loaded, "remittances", remittances, username="ministere").created == 1
    listings = "SKU;Date de l'offre;Quantité offerte;Prix unitaire\nKI-HAR-001;26/06/2023 09:30;1 250,5;2 900\n"
    assert run_as(loaded, "listings", listings, username="ministere").created == 1
    assert run_as(loaded, "listings", listings, username="ministere").unchanged == 1
    import datetime as dt

    with loaded.app_context():
        db.session.add(
            TrainingSession(
                title="Formation des pionnières",
                place="Gitega",
                starts_on=dt.date(2023, 6, 26),
                ends_on=dt.date(2023, 6, 30),
            )
        )
        db.session.commit()
    attendance = (
        "Session;Participant;Sexe;Coopérative;Jours de présence\n"
        "formation des pionnieres;Jeanne Niyonzima;F;ANACOOP/KI/001;5\n"
        "Formation des pionnières;Jean Ndikumana;M;ANACOOP/KI/001;9\n"
    )
    refused = run_as(loaded, "attendance", attendance, username="coord_ki")
    assert [(e.row, e.column) for e in refused.errors] == [(3, "Jours de présence")]
    fixed = run_as(loaded, "attendance", attendance.replace(";9\n", ";4\n"), username="coord_ki")
    assert (fixed.outcome, fixed.created) == (ImportOutcome.APPLIED, 2)


def test_cli_import_exits_non_zero_and_prints_errors(loaded, tmp_path):
    path = tmp_path / "coops.csv"
    path.write_text(COOP_HEADER + "ANACOOP/X/1;Coop X;Atlantis;12\n", encoding="utf-8")
    result = loaded.test_cli_runner().invoke(args=["import", "cooperatives", str(path)])
    assert result.exit_code == 1
    assert "ligne 2, colonne « Province » [Atlantis] : Province inconnue" in result.output


def test_cli_dry_run_succeeds_with_zero_exit(loaded, tmp_path):
    path = tmp_path / "coops.csv"
    path.write_text(COOPERATIVES_CSV, encoding="utf-8")
    result = loaded.test_cli_runner().invoke(
        args=["import", "cooperatives", str(path), "--dry-run", "--user", "ministere"]
    )
    assert result.exit_code == 0, result.output
    assert "Simulation, rien n'a été écrit — 3 ligne(s)" in result.output


def test_upload_page_imports_and_lists_errors(loaded):
    client = loaded.test_client()
    login(client, "ministere")
    assert client.get("/imports/cooperatives/").status_code == 200
    data = {
        "file": (
            io.BytesIO((COOP_HEADER + "ANACOOP/X/1;Coop X;Atlantis;12\n").encode()),
            "coops.csv",
        )
    }
    page = client.post("/imports/cooperatives/", data=data, content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert (
        page.status_code == 200 and "Province inconnue" in text and "rien n&#39;a été écrit" in text
    )
    batch_id = int(text.split("n°", 1)[1].split()[0].split("<")[0])
    report = client.get(f"/importbatchview/errors/{batch_id}")
    assert report.status_code == 200 and "Province inconnue" in report.get_data(as_text=True)
    template = client.get("/imports/cooperatives/modele.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"


def test_auditor_cannot_open_any_import_page(loaded):
    client = loaded.test_client()
    login(client, "auditeur")
    for kind in ("cooperatives", "orders", "remittances"):
        assert client.get(f"/imports/{kind}/").status_code in (302, 403, 404)


def test_coordinator_sees_only_own_batches_in_the_log(loaded):
    client = loaded.test_client()
    login(client, "coord_ki")
    page = client.get("/importbatchview/list/").get_data(as_text=True)
    assert "coord_ki" in page and "ministere" not in page


def test_too_large_upload_gets_a_french_answer(loaded):
    client = loaded.test_client()
    login(client, "ministere")
    loaded.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        data = {"file": (io.BytesIO(b"x" * 4096), "big.csv")}
        page = client.post("/imports/cooperatives/", data=data, content_type="multipart/form-data")
    finally:
        loaded.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
    assert page.status_code == 413 and "trop volumineux" in page.get_data(as_text=True)
