"""The web process (`python -m bot web`, issue 14): the durable Telegram webhook, health and
readiness for load balancers, and Prometheus metrics, as one ASGI application."""
