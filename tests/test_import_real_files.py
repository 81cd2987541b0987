"""Files as offices make them (French Excel and LibreOffice): title rows, extra columns,
synonyms, placeholders, units, totals rows, phones spaced anyhow, provinces checked
against communes — and payments. Each file is built here, imported by dry run and for
real, its stored values checked, and imported again to change nothing."""

from __future__ import annotations

import datetime as dt
import html
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from console.models.imports import ImportOutcome
from console.services.money import round_franc

from .conftest import create_user, login
from .import_support import COOPERATIVES_CSV, ORDERS_CSV, PRODUCTS_CSV, fingerprint, run_as

TITLE = "RÉPUBLIQUE DU BURUNDI — Ministère de l'Intérieur, du Développement communautaire"


@pytest.fixture(scope="module")
def loaded(app):
    """Three cooperatives, four products, three orders (CMD-1 delivered, 2 placed, 3 paid)."""
    create_user(app, "ministere", "Ministère")
    create_user(app, "coord_ki", "Coordinateur provincial", ["BI-KI"])
    for kind, content in (
        ("cooperatives", COOPERATIVES_CSV),
        ("products", PRODUCTS_CSV),
        ("orders", ORDERS_CSV),
    ):
        result = run_as(app, kind, content, username="ministere")
        assert result.outcome == ImportOutcome.APPLIED, result.errors
    return app


def _rows(app, sql: str, **params) -> list[tuple]:
    from console.extensions import db

    with app.app_context():
        return [tuple(r) for r in db.session.execute(sa.text(sql), params)]


def _refused(app, kind, content, username="ministere", **kwargs):
    """Import a file that must be refused; check that nothing but the journal changed."""
    before = fingerprint(app)
    result = run_as(app, kind, content, username=username, **kwargs)
    assert result.outcome == ImportOutcome.REJECTED
    assert fingerprint(app) == before
    return result


def _imported_twice(app, kind, content, name, **kwargs):
    """Dry run (nothing written), real import, then the same file again (nothing changes)."""
    before = fingerprint(app)
    dry = run_as(app, kind, content, username="ministere", name=name, dry_run=True, **kwargs)
    assert dry.outcome == ImportOutcome.DRY_RUN, [e.message for e in dry.errors]
    assert fingerprint(app) == before
    applied = run_as(app, kind, content, username="ministere", name=name, **kwargs)
    assert applied.outcome == ImportOutcome.APPLIED, [e.message for e in applied.errors]
    assert (applied.created, applied.updated) == (dry.created, dry.updated)
    return dry, applied


# -- cooperatives: Windows-1252 CSV with title rows, extra columns, synonyms, placeholders --

COOPS_1252 = (
    f"{TITLE};;;;;;;;\n"
    "Registre des coopératives — province de Mwaro;;;;;;;;\n"
    ";;;;;;;;\n"
    "N°;N° ANACOOP;Nom de la coopérative;Province;Commune;Téléphone;Adresse e-mail;Date de création;Observations\n"
    "1;ANACOOP/MW/010;Coopérative Twiteze Imbere;Mwaro;Mwaro;79 12 34 56;N/A;néant;RAS\n"
    "2;ANACOOP/GI/011;Coopérative Dufatanye Mwétu;BI-GI;Gitega;+257 71-23-45-67;dufatanye@coop.bi;15/03/2019;Élevage\n"
)


def test_windows_1252_csv_under_a_title_with_extra_columns_is_imported(loaded):
    content = COOPS_1252.encode("cp1252")
    dry, applied = _imported_twice(loaded, "cooperatives", content, "registre.csv")
    assert (dry.created, dry.rows_total) == (2, 2)
    assert "Ligne d'en-têtes trouvée à la ligne 4" in " ".join(dry.notices)
    assert "« N° », « Observations »" in " ".join(dry.notices)
    stored = _rows(
        loaded,
        """
        SELECT c.name, p.code, c.phone, c.email, c.founded_on FROM cooperative c
        JOIN province p ON p.id = c.province_id
        WHERE c.registration_number IN ('ANACOOP/MW/010', 'ANACOOP/GI/011') ORDER BY c.registration_number""",
    )
    assert [(*row[:4], row[4] and str(row[4])[:10]) for row in stored] == [
        ("Coopérative Dufatanye Mwétu", "BI-GI", "+25771234567", "dufatanye@coop.bi", "2019-03-15"),
        ("Coopérative Twiteze Imbere", "BI-MW", "+25779123456", None, None),
    ]
    # The same cooperatives with their phones spaced otherwise: unchanged, not updated.
    before = fingerprint(loaded)
    respaced = COOPS_1252.replace("79 12 34 56", "+257 79123456").replace(
        "+257 71-23-45-67", "71 23 45 67"
    )
    again = run_as(
        loaded, "cooperatives", respaced.encode("cp1252"), username="ministere", name="registre.csv"
    )
    assert (again.outcome, again.created, again.updated, again.unchanged) == (
        ImportOutcome.APPLIED,
        0,
        0,
        2,
    )
    assert fingerprint(loaded) == before


@pytest.mark.parametrize(
    ("province", "commune", "named"),
    [
        ("Gitega", "Mwaro", ("Mwaro", "Gitega")),
        ("Kirundo", "Ngozi", ("Ngozi", "Kirundo")),
        ("Karusi", "Gitega", ("Gitega", "Karuzi")),
        ("Butanyerera", "Mwaro", ("Gitega", "Butanyerera")),
    ],
)
def test_a_province_that_contradicts_its_commune_is_refused_naming_both(
    loaded, province, commune, named
):
    content = (
        "Numéro d'enregistrement;Nom;Province;Commune\n"
        f"ANACOOP/XX/099;Coopérative Contradiction;{province};{commune}\n"
    )
    result = _refused(loaded, "cooperatives", content)
    message = next(e.message for e in result.errors if e.column == "Province")
    expected, given = named
    assert f"est dans la province {expected}" in message and f"pas dans {given}" in message


def test_the_commune_decides_the_2015_province(loaded):
    content = (
        "Numéro d'enregistrement;Nom;Province;Commune\n"
        "ANACOOP/MU/012;Coopérative Amata Meza;Gitega;Muramvya\n"
    )
    _refused(loaded, "cooperatives", content)  # Muramvya commune lies in BI-MU, not BI-GI
    ok = content.replace("Gitega;Muramvya", "BI25-GI;Muramvya")
    assert run_as(loaded, "cooperatives", ok, username="ministere").outcome == ImportOutcome.APPLIED
    assert _rows(
        loaded,
        """SELECT p.code, q.code FROM cooperative c JOIN province p ON p.id = c.province_id
                            JOIN province q ON q.id = c.province_2025_id
                            WHERE c.registration_number = 'ANACOOP/MU/012'""",
    ) == [("BI-MU", "BI25-GI")]


def test_a_coordinator_cannot_pull_another_provinces_cooperative_in_through_the_province_cell(
    loaded,
):
    content = (
        "Numéro d'enregistrement;Nom;Province;Commune\n"
        "ANACOOP/NG/777;Coopérative Voisine;Kirundo;Ngozi\n"
    )
    result = _refused(loaded, "cooperatives", content, username="coord_ki")
    assert "pas dans Kirundo" in result.errors[0].message


def test_a_year_alone_and_a_heading_row_missing_are_explained(loaded):
    year = _refused(
        loaded,
        "cooperatives",
        "Numéro d'enregistrement;Nom;Province;Date de création\n"
        "ANACOOP/KI/001;Coopérative Twiyungunganye;Kirundo;2019\n",
    )
    assert [e.message[:24] for e in year.errors] == ["Date incomplète : 2019 ("]
    lost = _refused(
        loaded, "cooperatives", f"{TITLE}\nNuméro d'enregistrement;Nom;Membres\nANACOOP/X;X;3\n"
    )
    assert "la ligne 2 s'en approche le plus" in lost.message and "« Province »" in lost.message


# -- orders: XLSX with a merged title, synonyms, units, amounts in FBu and a totals row ------


def _orders_workbook(formula: bool = False) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([TITLE])
    sheet.merge_cells("A1:J1")
    sheet.append([])
    sheet.append(
        [
            "N° commande",
            "N° de ligne",
            "Date",
            "Vendeur",
            "Client",
            "Statut",
            "SKU",
            "Qté (kg)",
            "PU (FBu)",
            "Total TTC",
            "Taux TVA",
            "Observations",
        ]
    )
    sheet.append(
        [
            "CMD-XL-1",
            1,
            "03/07/2023 09:15",
            "ANACOOP/KI/001",
            "Épicerie Ndikumana",
            "Livré(e)",
            "KI-HAR-001",
            "12,5",
            "2 900 FBu",
            "=2+3" if formula else "36 250 FBu",
            "10 %",
            "RAS",
        ]
    )
    sheet.append(
        [
            "CMD-XL-1",
            2,
            "03/07/2023 09:15",
            "ANACOOP/KI/001",
            "Épicerie Ndikumana",
            "Livré(e)",
            "KI-FOY-002",
            2,
            25000,
            "–",
            "–",
            None,
        ]
    )
    sheet.append(["TOTAL", None, None, None, None, None, None, None, None, "=SUM(J4:J5)"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_with_a_merged_title_synonyms_units_and_a_totals_row_is_imported(loaded):
    dry, applied = _imported_twice(loaded, "orders", _orders_workbook(), "commandes.xlsx")
    assert (dry.rows_total, dry.created) == (2, 2)
    notices = " ".join(dry.notices)
    assert "ligne 3" in notices and "Ligne 6 : ligne de totaux ignorée" in notices
    assert "« Observations »" in notices
    stored = _rows(
        loaded,
        """
        SELECT o.status, b.name, l.line_no, l.quantity, l.unit_price, l.gross, l.tax, l.net
        FROM order_line l JOIN sale_order o ON o.id = l.order_id JOIN buyer b ON b.id = o.buyer_id
        WHERE o.reference = 'CMD-XL-1' ORDER BY l.line_no""",
    )
    from console.extensions import db
    from console.models import Order

    with loaded.app_context():
        order = db.session.scalars(sa.select(Order).where(Order.reference == "CMD-XL-1")).one()
        assert order.placed_at == dt.datetime(
            2023, 7, 3, 7, 15, tzinfo=dt.UTC
        )  # 09:15 in Bujumbura
    assert [(*row[:3], Decimal(str(row[3])), *row[4:]) for row in stored] == [
        ("delivered", "Épicerie Ndikumana", 1, Decimal("12.5"), 2900, 36250, 3295, 32955),
        ("delivered", "Épicerie Ndikumana", 2, Decimal("2"), 25000, 50000, 7627, 42373),
    ]
    before = fingerprint(loaded)
    again = run_as(
        loaded, "orders", _orders_workbook(), username="ministere", name="commandes.xlsx"
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert fingerprint(loaded) == before


def test_a_formula_in_an_amount_cell_is_named_as_a_formula(loaded):
    result = _refused(loaded, "orders", _orders_workbook(formula=True), name="commandes.xlsx")
    assert [(e.row, e.column, e.message[:33]) for e in result.errors] == [
        (4, "Total TTC", "Formule =2+3 : collez les valeurs")
    ]


def test_csv_orders_under_title_rows_take_the_set_wise_path_with_totals_skipped(loaded):
    content = (
        f"{TITLE};;;;;;;;\n\n"
        "N° commande;Ligne;Date de commande;Vendeur;Acheteur;SKU;Quantité;Prix unitaire (FBu);Remarque\n"
        "CMD-CSV-1;1;04/07/2023;ANACOOP/NG/003;Hôtel du Lac;NG-RIZ-001;10;3 200 BIF;néant\n"
        "TOTAL;;;;;;10;;\n"
    )
    dry, applied = _imported_twice(loaded, "orders", content.encode("cp1252"), "commandes.csv")
    assert (applied.rows_total, applied.created) == (1, 1)
    assert any("Ligne 5 : ligne de totaux ignorée" in n for n in applied.notices)
    assert _rows(
        loaded,
        "SELECT l.unit_price, l.gross FROM order_line l JOIN sale_order o ON o.id = l.order_id "
        "WHERE o.reference = 'CMD-CSV-1'",
    ) == [(3200, 32000)]


# -- payments -------------------------------------------------------------------------------

PAYMENTS = (
    "N° de transaction;N° commande;Date de paiement;Montant (FBu);Mode de paiement\n"
    "LUMI-0001;CMD-1;26/06/2023 16:00;30 000 FBu;Lumicash\n"
    "ECO-0002;CMD-1;27/06/2023;31 250;EcoCash\n"
    "ESP-0003;CMD-3;-;-;\n"
)


def test_payments_import_with_mobile_money_and_their_tax_part(loaded):
    content = PAYMENTS.replace("ESP-0003;CMD-3;-;-;", "ESP-0003;CMD-3;05/07/2023 10:00;320 000;")
    dry, applied = _imported_twice(loaded, "payments", content, "paiements.csv")
    assert (applied.created, applied.rows_total) == (3, 3)
    order_tax = dict(
        _rows(
            loaded,
            """SELECT o.reference, SUM(l.tax) FROM order_line l
                                      JOIN sale_order o ON o.id = l.order_id GROUP BY o.reference""",
        )
    )
    stored = _rows(
        loaded,
        """SELECT p.reference, o.reference, p.amount, p.tax_amount, p.method FROM payment p
                              JOIN sale_order o ON o.id = p.order_id ORDER BY p.reference""",
    )
    # CMD-1 costs 61 250 FBu (36 250 + 25 000): its tax is collected in proportion of what is paid,
    # rounded once (console.services.payments.payment_tax); the settling payment takes the rest.
    first_tax = round_franc(Decimal(order_tax["CMD-1"]) * 30000 / 61250)
    assert stored == [
        ("ECO-0002", "CMD-1", 31250, order_tax["CMD-1"] - first_tax, "4"),
        (
            "ESP-0003",
            "CMD-3",
            320000,
            order_tax["CMD-3"],
            "1",
        ),  # no method given: the order's (cash)
        ("LUMI-0001", "CMD-1", 30000, first_tax, "4"),
    ]
    before = fingerprint(loaded)
    again = run_as(loaded, "payments", content, username="ministere", name="paiements.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert fingerprint(loaded) == before


def test_an_overpayment_is_refused_and_nothing_is_written(loaded):
    # CMD-1 costs 61 250 FBu: whether or not it was paid above, 61 251 FBu overpays it.
    content = (
        "Référence du paiement;Référence de commande;Date de paiement;Montant\n"
        "VIR-0100;CMD-1;28/06/2023;61 251\n"
    )
    first = _refused(loaded, "payments", content)
    assert (
        first.errors[0].column == "Montant"
        and "dépasse le reste à payer" in first.errors[0].message
    )


def test_two_payments_of_one_file_that_together_overpay_are_refused(loaded):
    content = (
        "Référence du paiement;Référence de commande;Date de paiement;Montant\n"
        "VIR-0200;CMD-2;28/06/2023;2 000\n"
        "VIR-0201;CMD-2;29/06/2023;2 000\n"
    )  # CMD-2 costs 3 × 1 200 = 3 600 FBu
    result = _refused(loaded, "payments", content)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (
            3,
            "Montant",
            "Le paiement de 2\u202f000\u00a0FBu dépasse le reste à payer de la commande CMD-2 "
            "(1\u202f600\u00a0FBu).",
        )
    ]


def test_a_refused_payment_does_not_count_toward_the_next_rows_of_its_order(loaded):
    # CMD-2 costs 3 600 FBu: the 5 000 FBu row is refused, so 2 000 + 1 600 still fit.
    content = (
        "Référence du paiement;Référence de commande;Date de paiement;Montant\n"
        "VIR-0210;CMD-2;28/06/2023;2 000\n"
        "VIR-0211;CMD-2;29/06/2023;5 000\n"
        "VIR-0212;CMD-2;30/06/2023;1 600\n"
    )
    result = _refused(loaded, "payments", content)
    assert [(e.row, e.column) for e in result.errors] == [(3, "Montant")]
    assert "(1\u202f600\u00a0FBu)" in result.errors[0].message  # what was still due after row 2


def test_a_payment_of_a_cancelled_or_unknown_order_is_refused(loaded):
    from console.extensions import db

    with loaded.app_context():
        db.session.execute(
            sa.text("UPDATE sale_order SET status = 'cancelled' WHERE reference = 'CMD-2'")
        )
        db.session.commit()
    try:
        content = (
            "Référence du paiement;Référence de commande;Date de paiement;Montant\n"
            "VIR-0300;CMD-2;28/06/2023;1 000\n"
            "VIR-0301;CMD-404;28/06/2023;1 000\n"
        )
        result = _refused(loaded, "payments", content)
        assert [(e.row, e.message.split(" :")[0]) for e in result.errors] == [
            (2, "La commande CMD-2 est annulée"),
            (3, "Commande introuvable dans votre périmètre"),
        ]
    finally:
        with loaded.app_context():
            db.session.execute(
                sa.text("UPDATE sale_order SET status = 'placed' WHERE reference = 'CMD-2'")
            )
            db.session.commit()


def test_an_ambiguous_reference_heading_is_refused_in_a_payments_file(loaded):
    result = _refused(
        loaded,
        "payments",
        "Référence;Référence de commande;Date de paiement;Montant\nX-1;CMD-1;28/06/2023;1\n",
    )
    messages = [e.message for e in result.errors]
    assert any(
        m.startswith(
            "Intitulé ambigu « Référence » : il peut désigner « Référence du paiement » "
            "ou « Référence de commande »"
        )
        for m in messages
    ), messages


# -- the journal ---------------------------------------------------------------------------------


def test_the_journal_speaks_french_and_its_csv_has_one_charset(loaded):
    result = run_as(loaded, "orders", "Référence de commande;Ligne\nX;1\n", username="ministere")
    client = loaded.test_client()
    login(client, "ministere")
    page = html.unescape(
        client.get(f"/importbatchview/show/{result.batch_id}").get_data(as_text=True)
    )
    assert (
        "Détail de l'import" in page
        and "Commandes (lignes)" in page
        and "Ligne de commande" in page
    )
    assert "Show Import Batch" not in page
    listing = client.get("/importbatchview/list/").get_data(as_text=True)
    assert "Journal des imports" in listing
    report = client.get(f"/importbatchview/errors/{result.batch_id}")
    assert report.headers["Content-Type"] == "text/csv; charset=utf-8"
    template = client.get("/imports/payments/modele.csv")
    assert (
        template.status_code == 200
        and template.headers["Content-Type"] == "text/csv; charset=utf-8"
    )
    assert template.data.decode("utf-8-sig").startswith(
        "Référence du paiement;Référence de commande"
    )


def test_a_running_import_records_its_phase_and_lines_in_the_journal(loaded):
    from console.extensions import db
    from console.models.imports import ImportBatch
    from importers.batches import record_batch
    from importers.progress import READ, WRITE, BatchProgress

    with loaded.app_context():
        batch_id = record_batch(
            db.session,
            dataset="orders",
            file_name="gros.csv",
            file_sha256="0" * 64,
            file_size=1,
            username="ministere",
            source="job",
            outcome=ImportOutcome.RUNNING,
            finished_at=None,
        )
        db.session.commit()
        progress = BatchProgress(db.engine, batch_id, every_s=0)
        progress(40_000, READ)
        progress(10_000, READ)
        progress(50_000, WRITE)
        db.session.expire_all()
        batch = db.session.get(ImportBatch, batch_id)
        assert (batch.phase, batch.lines_read, batch.lines_written) == ("écriture", 50_000, 50_000)


def test_the_readme_lists_each_datasets_synonyms_as_the_code_does():
    import re
    from pathlib import Path

    from importers import registry

    readme = (Path(__file__).resolve().parent.parent / "importers" / "README.md").read_text(
        encoding="utf-8"
    )
    for dataset in registry.all_datasets():
        section = (
            readme.split(f"### `{dataset.kind}` — {dataset.label}\n", 1)[1]
            .split("\n\n", 1)[0]
            .strip()
        )
        rows = [
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in section.splitlines()[2:]
        ]
        assert rows == [
            [c.header, "oui" if c.required else "non", ", ".join(c.aliases)]
            for c in dataset.columns
        ], dataset.kind
        assert re.search(rf"\| `{dataset.kind}` \|", readme), (
            f"{dataset.kind} missing from the datasets table"
        )


def test_the_command_line_imports_payments_and_prints_its_notices(loaded):
    from .import_support import write_file

    path = write_file(
        "Observations;Référence du paiement;Référence de commande;Date de paiement;Montant\n"
        "RAS;CLI-0001;CMD-2;28/06/2023;1 000 FBu\n",
        "paiements.csv",
    )
    before = fingerprint(loaded)
    result = loaded.test_cli_runner().invoke(args=["import", "payments", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Simulation, rien n'a été écrit — 1 ligne(s) : 1 à créer" in result.output
    assert "Note : Colonne(s) inconnue(s) ignorée(s) : « Observations »." in result.output
    assert fingerprint(loaded) == before


def test_the_payments_upload_page_dry_runs_and_says_which_heading_row_it_used(loaded):
    client = loaded.test_client()
    login(client, "ministere")
    assert client.get("/imports/payments/").status_code == 200
    content = (
        f"{TITLE};;;;\n;;;;\nRéférence du paiement;N° commande;Date de paiement;Montant;Mode\n"
        "PAGE-0001;CMD-2;28/06/2023;1 000;EcoCash\n"
    )
    before = fingerprint(loaded)
    page = client.post(
        "/imports/payments/",
        data={"file": (io.BytesIO(content.encode()), "paiements.csv"), "dry_run": "1"},
        content_type="multipart/form-data",
    )
    text = html.unescape(page.get_data(as_text=True))
    assert (
        page.status_code == 200
        and "Simulation, rien n'a été écrit — 1 ligne(s) : 1 à créer" in text
    )
    assert "Ligne d'en-têtes trouvée à la ligne 3" in text
    assert fingerprint(loaded) == before


def test_a_progress_report_never_waits_for_the_imports_own_lock_on_the_batch(loaded):
    """The import's transaction writes its batch row as it finishes, then refreshes the
    aggregates, reporting that phase: the report must skip, not wait for that transaction."""
    from console.extensions import db
    from console.models.imports import ImportBatch
    from importers.batches import record_batch
    from importers.progress import AGGREGATES, BatchProgress

    with loaded.app_context():
        batch_id = record_batch(
            db.session,
            dataset="orders",
            file_name="gros.csv",
            file_sha256="0" * 64,
            file_size=1,
            username="ministere",
            source="job",
            outcome=ImportOutcome.RUNNING,
            finished_at=None,
        )
        db.session.commit()
        record_batch(
            db.session, batch_id=batch_id, outcome=ImportOutcome.APPLIED, rows_total=7
        )  # not committed
        BatchProgress(db.engine, batch_id, every_s=0)(0, AGGREGATES)  # returns: skipped
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(ImportBatch, batch_id).rows_total == 7


def test_a_column_reads_its_synonyms_as_the_readme_lists_them():
    from importers import cells
    from importers.headers import normalise
    from importers.schema import column

    sku = column(
        "sku", "SKU", cells.text(40), " code produit, n° d'article,, Product SKU ,", "KI-1"
    )
    assert sku.aliases == ("code produit", "n° d'article", "Product SKU")
    assert normalise("") not in sku.accepted
    assert normalise("N° D'ARTICLE") in sku.accepted
    assert (sku.required, sku.help, sku.example) == (False, "", "KI-1")
    assert column("unit", "Unité", cells.text(40), "", "kg", required=True).aliases == ()
