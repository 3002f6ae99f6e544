"""Tests of ``sim.report``."""
