"""Tests of ``sim.policies``."""
