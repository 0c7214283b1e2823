"""`puente --help` lists every command, the areas' included, without loading the areas."""

from __future__ import annotations

from click.testing import CliRunner

from bot.cli import AREA_COMMANDS, main


def test_help_lists_each_area_command_with_the_commands_own_summary():
    output = " ".join(CliRunner().invoke(main, ["--help"], terminal_width=200).output.split())
    for name, area in AREA_COMMANDS.items():
        assert area.help == area.load().get_short_help_str(limit=200), name
        assert f"{name} {area.help}" in output


def test_an_area_command_runs_when_named():
    result = CliRunner().invoke(main, ["nlu", "--help"])
    assert result.exit_code == 0 and "Usage: main nlu" in result.output
