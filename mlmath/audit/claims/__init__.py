"""The claims of each source article, one module per article.

Importing this package registers nothing: :func:`mlmath.audit._registry.load`
imports the modules explicitly.
"""
