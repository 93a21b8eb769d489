"""The `microtask` command line: thin commands that parse, call the library and report."""
