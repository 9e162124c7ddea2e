"""A local Bot API server, as strict as Telegram, run by the playground (`python -m bot demo`),
the end-to-end tests and the benchmarks. It speaks HTTP like api.telegram.org and simulates
the users, chats, files and payments on the other side; its tests are in tests/botapi/."""
