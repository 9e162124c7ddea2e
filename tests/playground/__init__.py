"""The playground: the demo command, the page's API and the page in a real browser."""
