"""convcourse: a numpy reference for every operation of a course on CNNs."""

__version__ = "0.1.0"
