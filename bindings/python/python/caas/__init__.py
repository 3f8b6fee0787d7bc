"""CAAS from Python (being written)."""

from caas._caas import Claims, TokenVerifier, __version__
from caas.errors import *  # noqa: F403
