"""Smartrix Grid's domain package, shipped to every function as the shared layer."""
