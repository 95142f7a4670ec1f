"""Synthetic Sentinel-2 demo archive: real tile grids, calendar and file formats, made-up ground.

Entry point: `demo.generator.archive.build_archive`. No module here imports Django.
"""
