"""`python -m bot`: run the bot (see bot/cli.py)."""

import sys

from bot.cli import main

sys.exit(main())
