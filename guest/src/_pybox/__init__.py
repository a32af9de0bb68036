"""The PyBox driver: the Python half of the guest (see guest/ABI.md, "What lives where").

The C glue (guest/src/*.c) calls these functions with plain data (str, int, tuples, lists,
dicts of those) and never while user code runs, so nothing here is on the stack above user
code. The driver defines no classes (nothing of it can be found through
``object.__subclasses__()``), keeps no state that enforces a rule, and uses only builtins
(which C guards) and AST types (which C freezes after import).
"""

from _pybox.compile import compile_source
from _pybox.loop import LOOP_SOURCE, install_loop_policy
from _pybox.tools import tool_metadata
from _pybox.traceback import format_traceback

__all__ = ["compile_source", "format_traceback", "tool_metadata", "LOOP_SOURCE", "install_loop_policy"]
