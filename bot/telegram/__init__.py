"""The Telegram adapter: python-telegram-bot handlers, access control, chat state and HTML rendering."""
