"""Checks for assignment 02-conv-layer (being written)."""

EXERCISES: dict = {}

__all__ = ["EXERCISES"]
