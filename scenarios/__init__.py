"""End-to-end scenarios over HTTP, against any running grid (local, LocalStack or AWS)."""
