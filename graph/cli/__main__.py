"""`python -m graph.cli` runs the CLI (as the console script does)."""

from graph.cli import main

main()
