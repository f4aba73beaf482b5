"""Exploring designs: many reports from one loaded network (sweep) and two networks side by side (diff)."""
