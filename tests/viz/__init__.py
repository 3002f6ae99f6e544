"""Tests of ``sim.viz``."""
