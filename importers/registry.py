"""The importable datasets, by the name used on the command line and in URLs."""

from __future__ import annotations

from importlib import import_module

from .schema import Dataset

# Modules that each define DATASET (importers/datasets/*).
DATASET_MODULES = (
    "importers.datasets.cooperatives",
    "importers.datasets.products",
    "importers.datasets.listings",
    "importers.datasets.orders",
    "importers.datasets.payments",
    "importers.datasets.devices",
    "importers.datasets.attendance",
    "importers.datasets.remittances",
)


def all_datasets() -> list[Dataset]:
    """Every dataset, in menu order."""
    return [import_module(name).DATASET for name in DATASET_MODULES]


def get(kind: str) -> Dataset:
    """The dataset of that name (KeyError with the French list otherwise)."""
    for dataset in all_datasets():
        if dataset.kind == kind:
            return dataset
    names = ", ".join(d.kind for d in all_datasets())
    raise KeyError(f"Jeu de données inconnu « {kind} » (au choix : {names}).")
