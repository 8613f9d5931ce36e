"""Names of the broker channels events travel on."""

ALERTS = "alerts"
