"""pytest's doctest collection of the adapters: skip those whose library is absent.

``mlmath/adapters/torch.py`` imports PyTorch at the top (it is imported only by
``mlmath check torch``); without PyTorch, collecting its doctests would be an
import error, so it is left out instead -- in a checkout and, since this file
is installed with the package, under ``mlmath verify`` of an installed mlmath.
"""

import importlib.util

collect_ignore = [f"{name}.py" for name in ("scipy", "torch", "jax")
                  if importlib.util.find_spec(name) is None]
