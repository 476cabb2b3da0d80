"""The demo fleet: simulated vendor APIs on loopback, exported through the real adapters."""
