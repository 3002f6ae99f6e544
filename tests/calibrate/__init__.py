"""Tests of ``sim.calibrate``."""
