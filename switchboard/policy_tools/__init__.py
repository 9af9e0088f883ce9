"""Tooling around the policy file: its JSON Schema, key paths mapped to lines, the
flowchart, and the check of the catalogues' texts for the policy's languages."""
