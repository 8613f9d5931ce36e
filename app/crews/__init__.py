"""Crews and multi-day work: tasks several technicians do together, over one or more days."""
