"""Checks for assignment 05-separable (being written)."""

EXERCISES: dict = {}

__all__ = ["EXERCISES"]
