"""The merchant's insight: reports, forecasts, stock planning, customer value and flow metrics.

Pure formulas and use cases. The numbers come from SQL aggregates in `storage/insight.py`;
charts are drawn by the adapter (`bot/insight/`) from what these functions return."""
