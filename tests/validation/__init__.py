"""Tests of ``sim.validation``."""
