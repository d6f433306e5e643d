"""Sub-commands of `tradequote` beyond serving: one module per area."""
