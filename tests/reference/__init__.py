"""Tests of ``sim.reference``."""
