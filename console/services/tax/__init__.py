"""Tax: the Decimal engine, rules, stamping, reconciliation, leakage flags and audits."""
