"""Checks for assignment 03-pooling (being written)."""

EXERCISES: dict = {}

__all__ = ["EXERCISES"]
