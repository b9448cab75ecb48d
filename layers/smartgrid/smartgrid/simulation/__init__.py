"""The simulated grid: houses with their objects and utility producers (services `house`
and `producers`), clients of the grid's own API.

Pure physics (profiles, energies, report intervals) lives beside the services that run it,
so it is tested without AWS.
"""
