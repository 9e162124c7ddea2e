# The two commands of the README's first screen; each installs what it needs first.
#   make demo   the playground: the whole shop in a browser, no Telegram token, no network
#   make test   the test suite, as .ci/run runs it
# Without make: `python3 -m venv .venv && .venv/bin/pip install -e '.[dev,forecast]'`, then
# `.venv/bin/python -m bot demo` or `.venv/bin/python -m pytest`.

PYTHON ?= python3
VENV := .venv

.PHONY: demo test install browser

demo: $(VENV)/.installed
	$(VENV)/bin/python -m bot demo

test: $(VENV)/.installed-dev browser
	$(VENV)/bin/python -m pytest

install: $(VENV)/.installed-dev

# The bot alone (what the playground needs).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install -e '.[forecast]'
	touch $@

# The bot and its development tools (tests, checks); the README's install command.
$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(VENV)/bin/pip install -e '.[dev,forecast]'
	touch $@ $(VENV)/.installed

# The browser test drives Debian's chromium; install it as root, otherwise say how.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update && apt-get install -y chromium; \
	  else \
	    echo "make: /usr/bin/chromium is missing, the browser test will be skipped" \
	         "(Debian: sudo apt-get install chromium)" >&2; \
	  fi; }
