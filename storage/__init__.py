"""Persistence: SQLModel tables, repository functions, database setup, migrations.

Contract: imports nothing from `switchboard`, `bots`, `graph` or `tools`. Repository
functions are plain async functions taking an `AsyncSession`; schema changes go only
through alembic (`storage/migrations`).
"""
