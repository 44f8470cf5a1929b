"""Portable implementations: the public functions on any Array API namespace.

One module per topic (``special``, ``penalties``, ...) mirrors the topic
modules; shared error-free arithmetic lives in :mod:`mlmath._xp._numerics`.
Only operations of the Array API standard are used (``array_api_strict``
accepts every line), so the same code is meant to run on any Array API library;
it is tested on ``array_api_strict`` and PyTorch and JAX on the CPU.
The public functions dispatch here through :mod:`mlmath._namespace`.
"""
