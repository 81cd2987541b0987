"""Demo data: a realistic, deterministic data set for trying the console (`isoko seed-demo`)."""

from .seed import SeedError, SeedRefusedError, SeedSummary, seed_demo

__all__ = ["SeedError", "SeedRefusedError", "SeedSummary", "seed_demo"]
