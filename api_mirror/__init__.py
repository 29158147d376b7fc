"""The local mirror: upstream-compatible query layer, JSON serialization and HTTP app."""
