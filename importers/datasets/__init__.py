"""One module per importable dataset: its columns (with aliases) and how a row is written."""
