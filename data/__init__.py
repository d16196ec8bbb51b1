"""Embedded datasets (package data).  Load them with :mod:`spillmap.datasets`; see README.md here."""
