"""Pictures for assignment 05-separable (being written)."""

__all__: list[str] = []
