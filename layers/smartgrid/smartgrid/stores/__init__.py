"""Repositories: each store's access code, owned by one service and read by others."""
