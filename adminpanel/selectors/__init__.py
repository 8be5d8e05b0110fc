"""Reads for the panel's pages, one module per section; each a constant number of queries."""
