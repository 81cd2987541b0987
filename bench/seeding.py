"""Seeding rate: `isoko seed-demo` against a plain COPY of the very rows it wrote."""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from .common import Dataset
from .table import Row, heading, number, rate_row


def copy_seconds(url: str, tables: list[str]) -> tuple[float, int]:
    """Seconds to COPY the rows of ``tables`` into bare copies (no index, no constraint).

    The rows are first dumped to files (untimed); the timed part is COPY FROM and commit.
    Returns the seconds and the number of rows copied.
    """
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with tempfile.TemporaryDirectory(prefix="isoko-bench-") as folder:
            for table in tables:
                cursor.execute(f'CREATE TABLE "bench_copy_{table}" (LIKE "{table}")')
                with (
                    (Path(folder) / table).open("wb") as out,
                    cursor.copy(f'COPY "{table}" TO STDOUT') as copy,
                ):
                    for chunk in copy:
                        out.write(chunk)
            raw.commit()
            started, copied = time.perf_counter(), 0
            for table in tables:
                with (
                    (Path(folder) / table).open("rb") as handle,
                    cursor.copy(f'COPY "bench_copy_{table}" FROM STDIN') as copy,
                ):
                    while chunk := handle.read(1 << 20):
                        copy.write(chunk)
                copied += cursor.rowcount
            raw.commit()
            elapsed = time.perf_counter() - started
        for table in tables:
            cursor.execute(f'DROP TABLE "bench_copy_{table}"')
        raw.commit()
        return elapsed, copied
    finally:
        raw.close()
        engine.dispose()


def measure(app, data: Dataset, repeat: int) -> list[Row]:
    """The seeding rows (the dataset was built once, so there is one sample)."""
    tables = sorted(data.seeded)
    base, rows = copy_seconds(data.url, tables)
    baseline = (
        f"plain COPY FROM of the same {number(rows)} rows ({len(tables)} tables seed-demo "
        "wrote, aggregates included) into bare tables without index or constraint"
    )
    wall = data.timings["seed_s"]
    found = re.search(r"Durée : ([\d.]+) s", data.seed_output)
    result = [
        heading("Demo seeding"),
        rate_row(
            f"`isoko seed-demo --orders {data.order_lines}`, whole command",
            data.order_lines,
            wall,
            base,
            "lines/s",
            f"{number(wall, 1)} s wall, app start-up included; baseline: {baseline}",
        ),
    ]
    if found:  # the command's own timer: generation, COPY and the aggregates, no start-up
        own = float(found.group(1))
        result.append(
            rate_row(
                "`isoko seed-demo`, seeding and aggregates (the command's own timer)",
                data.order_lines,
                own,
                base,
                "lines/s",
                f"{number(own, 1)} s; same baseline",
            )
        )
    return result
