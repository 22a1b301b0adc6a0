"""The refresh's own state: the landing-folder snapshot, the refresh record, freshness of sources."""
