"""Benchmarks of the whole grid on the local runtime (`python -m benchmarks.<name>`)."""
