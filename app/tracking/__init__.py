"""Location tracking: pings from the technician app, tracking policies, last known positions."""
