"""Tests of ``sim.model``."""
