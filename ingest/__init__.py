"""newsdesk ingest: turns news articles into verbatim, outlet-attributed chunks in a Chroma collection.

Nothing in this package imports ``bot``; the bot builds on the types and the store defined here.
"""
