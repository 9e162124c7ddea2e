"""The merchant's insight in the admin chat: /report, /customers, /forecast, /stockplan,
/efficiency (the numbers come from domain/insight; this package renders them)."""
