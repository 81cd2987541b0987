"""Scoped queries over the aggregate tables, one module per subject."""
