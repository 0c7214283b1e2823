"""The NGO directory: organizations (ngo), their office hours, the directory file and its import
(load, rows, store), matching a case to organizations (matching, pure), and find_ngo (handlers).

Below the cases (which route to what it finds) and beside delivery: it imports neither.
"""
