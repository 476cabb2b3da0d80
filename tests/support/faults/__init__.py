"""A fault-injecting HTTP server in front of the demo fleet (see server.py)."""
