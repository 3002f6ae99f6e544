"""Tests of ``sim.batch``."""
