"""The reference lists (LA codes, regions, statistical neighbours) and the lookups made from them."""
