"""Tests of ``sim.metrics``."""
