"""The playground: `python -m bot demo` runs the whole shop on this machine with no Telegram
token. The local Bot API server (bot/botapi/) stands in for Telegram, the real bot polls it on
a fresh SQLite file with the demo catalog and a generated order history, and a web page
(static/) shows a customer's chat and the merchant's admin chat as Telegram would.

Nothing in the bot's features imports this package (an import contract in pyproject.toml)."""
