.PHONY: run test lint
run:  ## install and run the registry with the demo data on http://127.0.0.1:8000/
	scripts/run.sh
test:  ## install and run the whole test suite on PostgreSQL and Redis
	scripts/test.sh
lint:
	.venv/bin/ruff check .
