"""`python -m bot` is the `puente` command."""

from bot.cli import main

main(prog_name="puente")
