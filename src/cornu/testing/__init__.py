"""Test helpers for cornu layers (and for users' own layers)."""

from cornu.testing.layer_test import run_layer_test
