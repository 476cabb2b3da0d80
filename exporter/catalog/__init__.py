"""Catalog intelligence: what changed in each source's catalog (changes), which models are good
enough for a kind of traffic and which of those is cheapest (capabilities), and the state the
engine keeps of both between polls and across restarts (watch)."""
