"""Pictures for assignment 04-backprop (being written)."""

__all__: list[str] = []
