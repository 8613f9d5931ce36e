"""The demo city: a deterministic, realistic service organisation in Bengaluru.

`city` holds the geography, `generator` builds plain rows from a seeded RNG (no database),
`writer` bulk-inserts them in one transaction and `command` is `fieldgraph seed`.
"""
