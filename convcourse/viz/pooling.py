"""Pictures for assignment 03-pooling (being written)."""

__all__: list[str] = []
