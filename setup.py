"""Compile the message catalogues (.po → .mo) into every build, editable or not.

``*.mo`` files are not committed; a wheel or an installed copy must still carry them,
so that the first process already reads Isoko's French (console.translations).
"""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).resolve().parent / "console" / "translations"


class build_py_with_catalogues(build_py):  # noqa: N801 - setuptools command naming
    """build_py, then compile the catalogues into the build (or the source when editable)."""

    def run(self):
        super().run()
        # Loaded by path: importing the console package would need Flask in the build env.
        spec = importlib.util.spec_from_file_location("isoko_translations", SOURCE / "__init__.py")
        translations = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(translations)
        target = SOURCE if self.editable_mode else Path(self.build_lib) / "console" / "translations"
        translations.compile_catalogs(SOURCE, target)


setup(cmdclass={"build_py": build_py_with_catalogues})
