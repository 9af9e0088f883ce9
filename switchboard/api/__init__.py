"""HTTP routes owned by the composition root: admin, health, metrics."""
