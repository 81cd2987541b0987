"""Reference data: the two territorial maps, value chains, categories, units, tax rules."""
