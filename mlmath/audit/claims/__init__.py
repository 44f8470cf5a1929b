"""The claims of each source article; importing this package registers them all."""

from mlmath.audit.claims import (  # noqa: F401  (registration side effect)
    cross_entropy,
    regularisation,
    self_attention,
    self_supervised,
)
