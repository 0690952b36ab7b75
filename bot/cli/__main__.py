"""``python -m bot.cli`` runs the ``newsdesk`` command."""

from bot.cli.app import main

main()
