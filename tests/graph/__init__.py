"""Tests of ``sim.graph``."""
