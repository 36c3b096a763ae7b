"""Pictures for assignment 06-cnn (being written)."""

__all__: list[str] = []
