"""One chunk of order lines, column by column: parse, resolve, stamp, check, ready to stage.

The rules are those of every import (importers.cells, through importers.cell_arrays)
and of the order lines importer, applied to whole columns: each distinct cell is parsed
once, each distinct seller and SKU resolved once (importers.references, so the scope,
accent-tolerant names and ambiguous names behave as everywhere else), and the tax is
stamped by console.services.tax.vectorised, equal to the engine's compute_line. Errors
carry the same row, column, value and French message, and reach the error log in the
same order (row by row, then in column order), as if the lines were read one by one.

A line is staged when its seller and product are known, the product is the seller's,
the required values are there and the amounts given in the file agree with the engine.
A cell in error in an optional column (status, payment…) leaves its default, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from console import models as m
from console.services.money import format_francs, format_rate
from console.services.tax.stamping import NOTE_LENGTH, load_rules, sale_day
from console.services.tax.vectorised import BPS, LineStamps, epoch_day, stamp_lines

from .cell_arrays import LOCAL_OFFSET_S, MICROS, ParsedColumn, micros_to_datetime, parse_column
from .cells import CellError, is_blank
from .errors import ErrorLog
from .headers import name_key
from .heading_row import HeaderMap
from .reading import RowChunk
from .references import References, code_key
from .schema import Dataset

# Where a check comes in a row's sequence of errors: width (0), columns (1 + their
# index in the dataset), then seller, SKU and the file's amounts.
SEQ_SELLER, SEQ_SKU, SEQ_AMOUNTS = 100, 101, 102
REQUIRED_TO_STAGE = ("order_reference", "line_no", "placed_at", "buyer", "quantity", "unit_price")
UNKNOWN_SKU = "Produit (SKU) inconnu : importez d'abord le produit."
OTHER_SELLER = "Ce produit n'appartient pas au vendeur de la ligne."
AMOUNTS = (
    ("net", format_francs, "Montant HT"),
    ("tax", format_francs, "TVA"),
    ("gross", format_francs, "Montant TTC"),
    ("tax_rate", format_rate, "Taux de TVA"),
)


class Lookups:
    """Everything a line refers to, loaded once per import, and the buyers the file names."""

    def __init__(self, session: Session, refs: References) -> None:
        self.refs = refs
        refs.preload_cooperatives()  # no query may run on the connection while the staging COPY is open
        self.sellers: dict[tuple, object] = {}
        self.products = {
            code_key(sku): (pid, coop, cat)
            for pid, sku, coop, cat in session.execute(
                select(m.Product.id, m.Product.sku, m.Product.cooperative_id, m.Product.category_id)
            )
        }
        self.category_ids = np.array(
            sorted({cat for _, _, cat in self.products.values()}), dtype=np.int64
        )
        self.rules = load_rules(session)
        self.rule_codes = {rule.id: rule.code for rule in self.rules}
        self.buyers: dict[str, int] = {}
        for buyer_id, name in session.execute(
            select(m.Buyer.id, m.Buyer.name).order_by(m.Buyer.id)
        ):
            self.buyers.setdefault(name_key(name), buyer_id)
        self.memos: dict[str, dict] = {}  # per column: cells already parsed
        # Buyers named by the staged lines: key → ref (staged with the line), then by ref
        # the stored id (None for a buyer to create) and, for new ones, name and kind.
        self.buyer_refs: dict[str, int] = {}
        self.buyer_ids: list[int | None] = []
        self.new_buyers: dict[int, tuple[str, str]] = {}

    def seller(self, raw):
        """The cooperative of a seller cell, or the CellError saying why not (memoised)."""
        key = (type(raw), raw)
        found = self.sellers.get(key)
        if found is None:
            try:
                found = self.refs.cooperative(raw)
            except CellError as exc:
                found = exc
            self.sellers[key] = found
        return found

    def buyer_ref(self, key: str, name: str, kind: str) -> int:
        """The file's number for a buyer, registering a new one on its first line."""
        ref = self.buyer_refs.get(key)
        if ref is None:
            ref = self.buyer_refs[key] = len(self.buyer_ids)
            stored = self.buyers.get(key)
            self.buyer_ids.append(stored)
            if stored is None:
                self.new_buyers[ref] = (name, kind)
        return ref


@dataclass
class Coded:
    """A column as codes into the values of its distinct cells: most columns repeat a few values."""

    codes: np.ndarray
    values: np.ndarray  # indexed by codes

    def rows(self) -> np.ndarray:
        return self.values[self.codes]


@dataclass
class StagedLines:
    """The lines of a chunk that go to staging (one element per line)."""

    row_no: np.ndarray
    reference: np.ndarray  # object: str
    line_no: Coded
    placed_us: Coded  # µs since 1970, UTC
    seller_id: Coded
    buyer_ref: Coded
    status: Coded  # object: stored value
    is_export: np.ndarray
    payment_method: Coded  # object: stored value
    includes_tax: np.ndarray
    product_id: Coded
    qty_milli: Coded
    unit_price: Coded
    net: np.ndarray
    tax: np.ndarray
    gross: np.ndarray
    tax_rule_id: np.ndarray  # -1: none
    rate_bps: np.ndarray
    tax_note: Coded  # object: None or text

    def __len__(self) -> int:
        return len(self.row_no)


@dataclass
class Resolved:
    """A chunk's lines after sellers, products and tax: which lines stage, with what."""

    lines: np.ndarray  # positions in the chunk of the lines to stage
    stamps: LineStamps  # of the stampable lines
    keep: np.ndarray  # positions among the stampable lines of those whose amounts agree
    notes: list  # the stamps' notes, cut to the column's length
    seller_id: np.ndarray  # per distinct seller cell: the cooperative id (-1: none)
    product_id: np.ndarray  # per distinct SKU cell: the product id (-1: none)
    includes: np.ndarray  # « prices include tax » of the staged lines


@dataclass
class _Errors:
    """A chunk's errors, to be logged in row order then check order."""

    rows: list[int] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    items: list[tuple] = field(default_factory=list)

    def add(self, row: int, seq: int, column, value, message: str) -> None:
        self.rows.append(row)
        self.seqs.append(seq)
        self.items.append((column, value, message))

    def add_many(self, rows: np.ndarray, seq: int, column, values, messages) -> None:
        for row, value, message in zip(rows.tolist(), values, messages, strict=True):
            self.add(row, seq, column, value, message)

    def flush(self, numbers: np.ndarray, log: ErrorLog) -> None:
        for i in np.lexsort((self.seqs, self.rows)).tolist():
            column, value, message = self.items[i]
            log.add(int(numbers[self.rows[i]]), column, value, message)


def _is_set(values: np.ndarray) -> np.ndarray:
    return np.fromiter((v is not None for v in values.tolist()), bool, len(values))


def _columns(chunk: RowChunk, width: int | None, needed: int, errors: _Errors) -> list:
    """The chunk's first ``needed`` columns; rows of the wrong width reported as before."""
    if chunk.columns is not None:  # rows of exactly the header's width
        return chunk.columns[:needed]
    rows = chunk.rows
    lengths = np.fromiter(map(len, rows), np.int64, len(rows))
    odd = np.flatnonzero(lengths != (width if width is not None else needed))
    if odd.size:
        rows = list(rows)
        for i in odd.tolist():
            cells = rows[i]
            if width is None:
                pass
            elif len(cells) > width and any(not is_blank(c) for c in cells[width:]):
                errors.add(
                    i,
                    0,
                    None,
                    "",
                    (
                        f"{len(cells)} valeurs pour {width} colonnes : une valeur en trop "
                        "(séparateur dans un texte sans guillemets ?)."
                    ),
                )
            elif len(cells) < width:
                errors.add(
                    i,
                    0,
                    None,
                    "",
                    (
                        f"Ligne incomplète : {len(cells)} valeurs pour {width} colonnes "
                        "(fichier tronqué ou séparateur manquant ?)."
                    ),
                )
            rows[i] = (list(cells) + [None] * needed)[:needed]
    return list(zip(*rows, strict=False))[:needed] if rows else [() for _ in range(needed)]


def process_chunk(
    chunk: RowChunk,
    dataset: Dataset,
    header: HeaderMap,
    width: int | None,
    texts: bool,
    lookups: Lookups,
    log: ErrorLog,
) -> StagedLines:
    """Check a chunk's lines, log their errors in file order, and return those to stage."""
    n = len(chunk)
    errors = _Errors()
    needed = max(header.positions.values()) + 1
    columns = _columns(chunk, width, needed, errors)
    parsed: dict[str, ParsedColumn] = {}
    for seq, column in enumerate(dataset.columns, start=1):
        if column.key not in header.positions:
            continue
        raw = np.empty(n, dtype=object)
        raw[:] = columns[header.positions[column.key]]
        pc = parsed[column.key] = parse_column(
            column.parse, raw, texts, lookups.memos.setdefault(column.key, {})
        )
        in_error = _is_set(pc.errors)
        missing = ~pc.present & ~in_error if column.required else np.zeros(len(pc.present), bool)
        bad = pc.rows(in_error | missing)
        if bad.any():
            shown = header.shown(column.key)
            for i in np.flatnonzero(bad).tolist():
                code = pc.codes[i]
                message = pc.errors[code] or "Valeur obligatoire manquante."
                errors.add(i, seq, shown, pc.raw[code], message)
    staged = _resolve_and_stamp(n, parsed, header, lookups, errors)
    errors.flush(chunk.numbers, log)
    return _staged(chunk, staged, parsed, lookups)


def _present(parsed: dict[str, ParsedColumn], key: str, n: int) -> np.ndarray:
    pc = parsed.get(key)
    return pc.rows(pc.present) if pc is not None else np.zeros(n, bool)


def _resolve_and_stamp(
    n: int, parsed: dict[str, ParsedColumn], header: HeaderMap, lookups: Lookups, errors: _Errors
) -> Resolved:
    """Sellers, products, tax stamps and the file's amounts; what the staging needs."""
    # Sellers: each distinct cell whose text is valid, resolved once.
    seller = parsed["seller"]
    s_id = np.full(len(seller.raw), -1, dtype=np.int64)
    s_vat = np.zeros(len(seller.raw), dtype=bool)
    s_error = np.full(len(seller.raw), None, dtype=object)
    for code in np.flatnonzero(seller.present).tolist():
        found = lookups.seller(seller.raw[code])
        if isinstance(found, CellError):
            s_error[code] = str(found)
        else:
            s_id[code], s_vat[code] = found.id, bool(found.vat_registered)
    row_seller = seller.rows(s_id)
    seller_bad = seller.rows(_is_set(s_error))
    for i in np.flatnonzero(seller_bad).tolist():
        code = seller.codes[i]
        errors.add(i, SEQ_SELLER, header.shown("seller"), seller.raw[code], s_error[code])
    # Products: by the SKU's parsed text.
    sku = parsed["sku"]
    p_id = np.full(len(sku.raw), -1, dtype=np.int64)
    p_coop = np.full(len(sku.raw), -1, dtype=np.int64)
    p_cat = np.full(len(sku.raw), -1, dtype=np.int64)
    for code in np.flatnonzero(sku.present).tolist():
        found = lookups.products.get(code_key(sku.values[code]))
        if found is not None:
            p_id[code], p_coop[code], p_cat[code] = found
    sku_given = sku.rows(sku.present)
    row_product = sku.rows(p_id)
    unknown = sku_given & (row_product < 0)
    foreign = sku_given & ~unknown & (row_seller >= 0) & (sku.rows(p_coop) != row_seller)
    sku_shown = header.shown("sku")
    for i in np.flatnonzero(unknown | foreign).tolist():
        errors.add(
            i,
            SEQ_SKU,
            sku_shown,
            sku.values[sku.codes[i]],
            UNKNOWN_SKU if unknown[i] else OTHER_SELLER,
        )
    # Lines that can be stamped (a line without seller or product has an error already).
    ok = ~seller_bad & ~unknown & ~foreign & (row_seller >= 0) & (row_product >= 0)
    for key in REQUIRED_TO_STAGE:
        ok &= _present(parsed, key, n)
    lines = np.flatnonzero(ok)
    placed = parsed["placed_at"].rows(parsed["placed_at"].numbers)[lines]
    if LOCAL_OFFSET_S is not None:  # the Bujumbura day, as tax_stamping.sale_day gives it
        days = (placed // MICROS + LOCAL_OFFSET_S) // 86400
    else:  # pragma: no cover - only if Bujumbura's offset ever varied over 1950-2100
        days = np.array(
            [epoch_day(sale_day(micros_to_datetime(p))) for p in placed.tolist()], dtype=np.int64
        )
    includes = _flag(parsed, "prices_include_tax", n, default=True)[lines]
    category = np.searchsorted(lookups.category_ids, sku.rows(p_cat)[lines])
    quantity = parsed["quantity"]
    if quantity.spec is None or quantity.spec.places != 3:  # stamps take thousandths
        raise ValueError("La quantité des lignes de commande doit avoir trois décimales.")
    stamps = stamp_lines(
        lookups.rules,
        lookups.category_ids,
        category,
        days,
        seller.rows(s_vat)[lines],
        parsed["unit_price"].rows(parsed["unit_price"].numbers)[lines],
        quantity.rows(quantity.numbers)[lines],
        includes,
    )
    notes = [note[:NOTE_LENGTH] if note else note for note in stamps.notes]
    agree = _amounts_agree(lines, stamps, notes, parsed, header, lookups, errors)
    keep = np.flatnonzero(agree)
    return Resolved(
        lines=lines[keep],
        stamps=stamps,
        keep=keep,
        notes=notes,
        seller_id=s_id,
        product_id=p_id,
        includes=includes[keep],
    )


def _flag(parsed: dict[str, ParsedColumn], key: str, n: int, default: bool) -> np.ndarray:
    """A yes/no column per row, its default where blank or in error."""
    pc = parsed.get(key)
    if pc is None:
        return np.full(n, default)
    per = np.array([default if v is None else bool(v) for v in pc.values.tolist()], dtype=bool)
    return pc.rows(per)


def _amounts_agree(lines, stamps, notes, parsed, header, lookups, errors) -> np.ndarray:
    """Amounts given in the file must equal the engine's; the message shows both."""
    agree = np.ones(len(lines), dtype=bool)
    engine = {
        "net": stamps.net,
        "tax": stamps.tax,
        "gross": stamps.gross,
        "tax_rate": stamps.rate_bps,
    }
    for k, (key, fmt, what) in enumerate(AMOUNTS):
        pc = parsed.get(key)
        if pc is None:
            continue
        given_set = pc.rows(pc.present)[lines]
        if key == "tax_rate":
            per = np.array(
                [int(v * BPS) if v is not None else 0 for v in pc.values.tolist()], dtype=np.int64
            )
            given = pc.rows(per)[lines]
        else:
            given = pc.rows(pc.numbers)[lines]
        wrong = np.flatnonzero(given_set & (given != engine[key]))
        for j in wrong.tolist():
            code = pc.codes[lines[j]]
            rule = (
                lookups.rule_codes.get(int(stamps.rule_id[j]))
                or notes[stamps.note_code[j]]
                or "aucune règle"
            )
            if key == "tax_rate":
                shown_given, shown_engine = (
                    pc.values[code],
                    Decimal(int(stamps.rate_bps[j])).scaleb(-4),
                )
            else:
                shown_given, shown_engine = int(given[j]), int(engine[key][j])
            errors.add(
                int(lines[j]),
                SEQ_AMOUNTS + k,
                header.shown(key),
                pc.raw[code],
                (
                    f"{what} du fichier ({fmt(shown_given)}) différent de celui du moteur fiscal "
                    f"({fmt(shown_engine)}, {rule}) : corrigez la valeur ou laissez la colonne vide."
                ),
            )
        agree[wrong] = False
    return agree


def _choice_values(parsed: dict[str, ParsedColumn], key: str, default, lines: np.ndarray) -> Coded:
    """A choice column of the lines as stored values, its default where blank or in error."""
    pc = parsed.get(key)
    if pc is None:
        return Coded(np.zeros(len(lines), dtype=np.int64), np.array([default.value], dtype=object))
    return Coded(
        pc.codes[lines], np.array([(v or default).value for v in pc.values.tolist()], dtype=object)
    )


def _coded(
    parsed: dict[str, ParsedColumn],
    key: str,
    lines: np.ndarray,
    per_distinct: np.ndarray | None = None,
):
    pc = parsed[key]
    return Coded(pc.codes[lines], pc.numbers if per_distinct is None else per_distinct)


def _staged(
    chunk: RowChunk, staged: Resolved, parsed: dict[str, ParsedColumn], lookups: Lookups
) -> StagedLines:
    """The staged lines' columns; buyers named for the first time are registered in file order."""
    lines, keep, stamps = staged.lines, staged.keep, staged.stamps
    buyer = parsed["buyer"]
    kinds = _choice_values(parsed, "buyer_kind", m.BuyerKind.CONSUMER, lines).rows()
    b_codes = buyer.codes[lines]
    b_key = np.array(
        [name_key(v) if v is not None else None for v in buyer.values.tolist()], dtype=object
    )
    refs = np.full(len(buyer.raw), -1, dtype=np.int64)
    # Distinct buyer cells in the order of their first staged line, as row by row.
    distinct, first = np.unique(b_codes, return_index=True)
    for code, at in sorted(
        zip(distinct.tolist(), first.tolist(), strict=True), key=lambda pair: pair[1]
    ):
        refs[code] = lookups.buyer_ref(b_key[code], buyer.values[code], kinds[at])
    return StagedLines(
        row_no=chunk.numbers[lines],
        reference=parsed["order_reference"].rows(parsed["order_reference"].values)[lines],
        line_no=_coded(parsed, "line_no", lines),
        placed_us=_coded(parsed, "placed_at", lines),
        seller_id=_coded(parsed, "seller", lines, staged.seller_id),
        buyer_ref=Coded(b_codes, refs),
        status=_choice_values(parsed, "status", m.OrderStatus.PLACED, lines),
        is_export=_flag(parsed, "is_export", len(chunk), default=False)[lines],
        payment_method=_choice_values(parsed, "payment_method", m.PaymentMethod.CASH, lines),
        includes_tax=staged.includes,
        product_id=_coded(parsed, "sku", lines, staged.product_id),
        qty_milli=_coded(parsed, "quantity", lines),
        unit_price=_coded(parsed, "unit_price", lines),
        net=stamps.net[keep],
        tax=stamps.tax[keep],
        gross=stamps.gross[keep],
        tax_rule_id=stamps.rule_id[keep],
        rate_bps=stamps.rate_bps[keep],
        tax_note=Coded(stamps.note_code[keep], np.asarray(staged.notes, dtype=object)),
    )
