"""Intent classifier benchmark on banking77: `python -m bench.intents [--data DIR]`."""
