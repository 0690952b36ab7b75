"""The command-line adapter: parses arguments, calls ``bot.service.Newsdesk`` and renders what it returns."""
