"""Benchmarks that start real servers and print JSON figures (``python -m bench NAME``)."""
