"""Database layer: SQLModel tables, engine and session helpers, Alembic migrations."""
