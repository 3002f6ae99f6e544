"""Tests of ``sim.scenario``."""
