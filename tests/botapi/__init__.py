"""A local, Telegram-strict Bot API server for end-to-end tests and benchmarks."""
