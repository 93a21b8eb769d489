# Two commands do everything: `make up` starts the platform, `make test` runs every check.
# Both set up .venv and node_modules on first use (see scripts/dev.sh, which works without make).
.PHONY: up test check bench setup audit

# The demo marketplace comes with it; `make up ARGS=--fresh` starts a new chain.
up:
	@scripts/dev.sh up --demo $(ARGS)

test:
	@scripts/dev.sh test $(ARGS)

check:
	@scripts/dev.sh check

setup:
	@scripts/dev.sh shell

# Slither on contracts/: fails on any high or medium finding (its own venv, .venv-audit).
# Not part of `make test`: it compiles through solcjs and takes one to two minutes here.
audit:
	@scripts/dev.sh audit $(ARGS)

# make bench NAME=compile (see bench/ for the others)
bench:
	@scripts/dev.sh bench $(NAME) $(ARGS)
