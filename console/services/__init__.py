"""Domain services: pure Python rules shared by console, dashboards, reports and importers."""
