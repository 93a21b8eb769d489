"""`python -m microtask` is the `microtask` command."""

from microtask.cli.app import main

main()
