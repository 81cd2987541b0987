"""Mévente: sell-through indicators, forecasts, alerts and raw-material matchmaking."""
