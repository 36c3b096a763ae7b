"""Pictures for assignment 02-conv-layer (being written)."""

__all__: list[str] = []
