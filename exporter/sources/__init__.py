"""Sources: one module per config `type`, each fetching through exporter.http and parsing its
vendor's answers into an immutable snapshot; what they share is in base.py, and the type
names are mapped to their classes in registry.py."""
