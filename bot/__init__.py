"""newsdesk bot: turns a question into a cited, outlet-flagged answer, and the adapters (CLI, Telegram) around it."""
