"""Tests of ``sim.results``."""
