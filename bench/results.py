"""bench/RESULTS.md: one file, one marked section per benchmark, each rewritten on its own.

``python -m bench`` owns the ``bench`` section and the load test owns ``load``, so running
one never erases the other's figures.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# Isoko — benchmark results\n\n"
    "Written by the benchmark scripts (`python -m bench`, `python -m bench.load`); "
    "each section is replaced when its script runs again. Every figure is measured "
    "side by side with its baseline in the same run.\n"
)


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def write_section(name: str, markdown: str, path: Path = RESULTS) -> Path:
    """Replace (or append) the section ``name`` of RESULTS.md with ``markdown``."""
    start, end = _markers(name)
    block = f"{start}\n{markdown.strip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    text = (
        pattern.sub(lambda _m: block, text)
        if pattern.search(text)
        else (text.rstrip("\n") + "\n\n" + block)
    )
    path.write_text(text, encoding="utf-8")
    return path


def _postgres_version(url: str | None) -> str:
    if not url:
        return "?"
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            version = conn.execute(sa.text("SHOW server_version")).scalar()
        engine.dispose()
        return str(version)
    except Exception:  # the description must never stop a benchmark
        return "?"


def machine_description(pg_url: str | None = None) -> str:
    """One Markdown paragraph: CPU, cores, memory, OS, Python, PostgreSQL, load."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        memory = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        memory = "?"
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                cwd=Path(__file__).parent,
                check=False,
            ).stdout.strip()
            or "?"
        )
    except OSError:
        commit = "?"
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"Machine: {cpu}, {os.cpu_count()} logical cores, {memory} RAM; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"PostgreSQL {_postgres_version(pg_url)}; load average at start {load}; "
        f"commit {commit}."
    )
