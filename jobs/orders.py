"""Auto-completion of delivered orders, on a timer."""

from __future__ import annotations

from datetime import timedelta

from domain.orders.completion import Completion, CompletionStats

AUTO_COMPLETE_JOB = "auto_complete"
AUTO_COMPLETE_EVERY = timedelta(minutes=15)


class AutoComplete:
    """Completes delivered orders once their time is up."""

    def __init__(self, completion: Completion) -> None:
        self.completion = completion

    async def run_once(self) -> CompletionStats:
        """One sweep."""
        return await self.completion.auto_complete_due()  # logged by the run (jobs/runs.py)
