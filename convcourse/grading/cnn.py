"""Checks for assignment 06-cnn (being written)."""

EXERCISES: dict = {}

__all__ = ["EXERCISES"]
