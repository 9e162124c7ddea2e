"""The HTTP API for other sales channels (issue 17): `/api/v1`, mounted into the web process
(bot/web/app.py). See bot/api/app.py."""
