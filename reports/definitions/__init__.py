"""The reports, one module each: a data function, an Excel writer and a ``SPEC`` for the registry."""
