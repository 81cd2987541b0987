"""The `isoko` commands keep their names and options, and each lives in its package's `cli` module."""

from __future__ import annotations

# name → (module, options): what operators and cron lines rely on.
COMMANDS = {
    "load-reference": ("console.cli", set()),
    "init-roles": ("console.cli", set()),
    "seed-demo": ("console.cli", {"--orders", "--seed", "--until"}),
    "create-admin": ("console.cli", {"--username", "--email", "--password"}),
    "mevente-refresh": ("console.cli", {"--as-of", "--no-backtest"}),
    "signalements": ("console.cli", {"--debut", "--fin", "--au", "--details"}),
    "refresh-facts": ("dashboards.cli", {"--since"}),
    "report": (
        "reports.cli",
        {
            "--period",
            "--province",
            "--map",
            "--cooperative",
            "--assignment",
            "--cohort",
            "--format",
            "--output",
            "--user",
        },
    ),
    "worker": ("reports.cli", None),
    "import": ("importers.cli", None),
}


def test_every_isoko_command_keeps_its_name_and_options_in_its_packages_cli_module(app):
    for name, (module, options) in COMMANDS.items():
        command = app.cli.commands.get(name)
        assert command is not None, name
        assert command.callback.__module__ == module, name
        if options is not None:
            declared = {
                opt for param in command.params for opt in param.opts if opt.startswith("--")
            }
            assert options <= declared, name
