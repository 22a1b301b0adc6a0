"""Dagster code location of the children's services warehouse."""
