# Hopsworks Managed — `make run` starts the app with its sandbox; `make test` runs the whole suite.
# Both set everything up on a fresh Debian machine: venv, pinned packages, PostgreSQL, Redis.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: setup run test test-slow stop services browser createadmin clean-data

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

.env:
	cp .env.example .env

services:
	@scripts/services.sh start

setup: $(STAMP) .env services
	@$(PY) manage.py migrate --noinput -v 0

browser:
	@scripts/install_browser.sh

run: setup
	@$(PY) manage.py seed_demo
	@HM_PORT=$(PORT) $(VENV)/bin/honcho -e /dev/null -f Procfile start

test: setup browser
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

test-slow: setup browser
	@HYPOTHESIS_PROFILE=slow $(VENV)/bin/pytest $(PYTEST_ARGS)

createadmin: setup
	@$(PY) manage.py createadmin "$(EMAIL)"

stop:
	@scripts/services.sh stop
