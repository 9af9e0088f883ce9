"""The `switchboard` command line (typer): `main.py` holds the app, each module one
command group."""
