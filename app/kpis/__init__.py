"""Management KPIs: per-task facts and daily rollups kept in step with the source rows."""
