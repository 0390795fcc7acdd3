"""Plumbing both sides share: typed errors, atomic output, the ordered thread map."""
