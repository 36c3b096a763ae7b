"""Checks for assignment 04-backprop (being written)."""

EXERCISES: dict = {}

__all__ = ["EXERCISES"]
