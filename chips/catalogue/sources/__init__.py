"""Readers of product metadata (SAFE, STAC) into plain SceneRecords (no Django)."""
