# Two commands do everything: `make up` starts the platform, `make test` runs every check.
# Both set up .venv and node_modules on first use (see scripts/dev.sh, which works without make).
.PHONY: up test check bench setup

# The demo marketplace comes with it; `make up ARGS=--fresh` starts a new chain.
up:
	@scripts/dev.sh up --demo $(ARGS)

test:
	@scripts/dev.sh test $(ARGS)

check:
	@scripts/dev.sh check

setup:
	@scripts/dev.sh shell

# make bench NAME=compile (see bench/ for the others)
bench:
	@scripts/dev.sh bench $(NAME) $(ARGS)
