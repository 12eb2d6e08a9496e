"""negsim: the command line (`negsim --help`) and a Python API (`negsim.api`: run, compare,
sweep, robust, explain, each returning a pandas DataFrame).  The API loads on first use, so the
command line starts without pandas or the model.

Three commands live in modules of the same names as API functions (negsim/robust.py, explain.py,
sweep.py).  Importing a submodule sets the package's attribute of its name, so the API names are
properties of the package that keep pointing at the API; the command line reaches its modules
through importlib (negsim.grammar.Later, when a command runs)."""

import sys
import types

_API = ("run", "compare", "sweep", "robust", "explain")


def _api(name: str) -> property:
    def get(self):
        from negsim import api  # pandas and the model: on first use, so the command line starts without them

        return getattr(api, name)

    def keep(self, value):  # a command module of this name was imported: it stays in sys.modules only
        pass

    return property(get, keep, doc=f"negsim.api.{name}")


class _Package(types.ModuleType):
    run, compare, sweep, robust, explain = (_api(n) for n in _API)


sys.modules[__name__].__class__ = _Package
