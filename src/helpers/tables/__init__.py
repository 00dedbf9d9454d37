"""Stage 3, tidy tables: the indicator catalogue and indicator tables (``indicators``), aggregation to any division,
strict joins, the survey tables, and the cache of built tables (``table_cache``)."""
