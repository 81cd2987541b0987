"""Text filters open on « Contient » and ignore case and accents, on both databases."""

from __future__ import annotations

import pytest

from console.text_match import fold

from .conftest import create_user, login
from .console_builders import make_cooperative


def test_folding_ignores_case_and_accents():
    assert fold("Coopérative GITÉGA") == "cooperative gitega"
    assert fold("Ngozi") == fold("NGOZI") == "ngozi"


@pytest.fixture(scope="module")
def client(app):
    from console.extensions import db

    with app.app_context():
        make_cooperative(db.session, "BI-GI", name="Twiyunge Abahinzi ba Gitéga")
        make_cooperative(db.session, "BI-GI", name="Dukorere hamwe Ngozi")
        db.session.commit()
    create_user(app, "texte.ministere", "Ministère")
    client = app.test_client()
    login(client, "texte.ministere")
    return client


def test_the_first_text_filter_is_contient(app):
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "CooperativeView")
    with app.test_request_context():
        assert str(view._filters.get_search_filters()["name"][0].name) == "Contient"


@pytest.mark.parametrize("typed", ["gitega", "GITÉGA", "abahinzi BA gitéga", "Gitéga"])
def test_a_word_finds_the_name_whatever_its_case_and_accents(client, typed):
    page = client.get("/cooperativeview/list/", query_string={"_flt_0_name": typed})
    text = page.get_data(as_text=True)
    assert "Twiyunge Abahinzi ba Gitéga" in text and "Dukorere hamwe Ngozi" not in text


def test_wildcards_are_letters_not_patterns(client):
    text = client.get("/cooperativeview/list/?_flt_0_name=%25").get_data(as_text=True)
    assert "Twiyunge Abahinzi ba Gitéga" not in text


@pytest.mark.postgres
def test_postgresql_serves_the_folded_search_from_a_trigram_index(app):
    """The console's own « Contient » SQL (translate(lower(col)) LIKE '%x%') matches the
    expression of migration 0020's GIN indexes, letters included, so the planner can use
    them (it does, by itself, at the size measured in bench/README.md)."""
    import sqlalchemy as sa

    from console import models as m
    from console.extensions import db
    from console.text_match import ACCENTED, FOLDED_INDEX_SUFFIX, PLAIN, contains_folded

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("index GIN d'expression : PostgreSQL seulement")
        with db.engine.connect() as conn:
            definitions = dict(
                conn.execute(
                    sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE :s"),
                    {"s": f"%{FOLDED_INDEX_SUFFIX}"},
                ).all()
            )
            assert {"ix_cooperative_name_fold_trgm", "ix_sale_order_reference_fold_trgm"} <= set(
                definitions
            )
            for definition in definitions.values():
                assert "gin_trgm_ops" in definition
                assert f"'{ACCENTED}'" in definition and f"'{PLAIN}'" in definition
            conn.execute(sa.text("SET enable_seqscan = off"))
            for model, column, index in (
                (m.Cooperative, m.Cooperative.name, "ix_cooperative_name_fold_trgm"),
                (m.Order, m.Order.reference, "ix_sale_order_reference_fold_trgm"),
            ):
                query = sa.select(model.id).where(contains_folded(column, "Gitéga", "postgresql"))
                compiled = query.compile(conn, compile_kwargs={"render_postcompile": True})
                explain = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
                plan = "\n".join(row[0] for row in explain)
                assert index in plan, plan
