"""The package's version and published address, in one place: ``pyproject.toml`` reads the version
from here, the notebooks' setup cells and the README's Colab badges mirror both (tests check)."""

__version__ = "0.2.0"
#: The notebooks install the tag ``v{__version__}`` from here when no wheel is on Drive.
REPO_URL = "https://github.com/dogcat-course/dogcat"
