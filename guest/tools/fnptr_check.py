#!/usr/bin/python3
"""Finds C functions that CPython would call through a pointer of another wasm type.

On wasm32 a call through a function pointer (`call_indirect`) traps unless the callee's
wasm signature is exactly the one the call site expects ("null function or function
signature mismatch"). Native builds forgive a wrong arity or a `void` returned where an
`int` is read; wasm does not. Pointer types do not matter (every pointer is an i32), so
`-Wcast-function-type-strict` reports thousands of harmless casts, and the non-strict
warning misses what matters: casts through `void (*)(void)` (`_PyCFunction_CAST`) and
functions stored as `void *` (`PyType_Slot`, `PyModuleDef_Slot`).

This script parses every translation unit of the cross build with libclang and checks each
place where a function's address is taken:
  - converted (explicitly or not) to a function-pointer type: the function's wasm signature
    must equal that type's, except inside a PyMethodDef, where the METH_* flags decide it;
  - stored as `void *` in a PyType_Slot / PyModuleDef_Slot: the slot id decides it.

Usage (Debian: apt-get install python3-clang-16; after a guest/build.sh cross build):
  /usr/bin/python3 guest/tools/fnptr_check.py [--work guest/.work] [--jobs N]
Prints one line per mismatch (file:line, the function, its signature, the expected one)
and exits 1 when there is any.
"""
import argparse
import ctypes
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import clang.cindex as ci

ci.Config.set_library_file('/usr/lib/llvm-16/lib/libclang-16.so.1')
RESOURCE_DIR = '/usr/lib/llvm-16/lib/clang/16'

METH = {'METH_VARARGS': 0x1, 'METH_KEYWORDS': 0x2, 'METH_NOARGS': 0x4, 'METH_O': 0x8,
        'METH_CLASS': 0x10, 'METH_STATIC': 0x20, 'METH_COEXIST': 0x40, 'METH_FASTCALL': 0x80,
        'METH_STACKLESS': 0, 'METH_METHOD': 0x200}
OBJ = 'i32'  # every pointer


def meth_signature(flags):
    """The wasm signature CPython's dispatch (Objects/methodobject.c, descrobject.c) uses."""
    kind = flags & ~(0x10 | 0x20 | 0x40)
    table = {
        0x1: (OBJ, [OBJ, OBJ]),                          # METH_VARARGS: (self, args)
        0x1 | 0x2: (OBJ, [OBJ, OBJ, OBJ]),              # + KEYWORDS: (self, args, kwargs)
        0x4: (OBJ, [OBJ, OBJ]),                          # NOARGS: (self, NULL)
        0x8: (OBJ, [OBJ, OBJ]),                          # O: (self, arg)
        0x80: (OBJ, [OBJ, OBJ, 'i32']),                  # FASTCALL: (self, args, nargs)
        0x80 | 0x2: (OBJ, [OBJ, OBJ, 'i32', OBJ]),      # + KEYWORDS: (..., kwnames)
        0x200 | 0x80 | 0x2: (OBJ, [OBJ, OBJ, OBJ, 'i32', OBJ]),  # METHOD: (self, cls, ...)
    }
    return table.get(kind)


# ---- libclang helpers -------------------------------------------------------------------

class _EvalResult(ctypes.c_void_p):
    pass


_lib = ci.conf.lib
_lib.clang_Cursor_Evaluate.argtypes = [ci.Cursor]
_lib.clang_Cursor_Evaluate.restype = _EvalResult
_lib.clang_EvalResult_getKind.argtypes = [_EvalResult]
_lib.clang_EvalResult_getKind.restype = ctypes.c_int
_lib.clang_EvalResult_getAsLongLong.argtypes = [_EvalResult]
_lib.clang_EvalResult_getAsLongLong.restype = ctypes.c_longlong
_lib.clang_EvalResult_dispose.argtypes = [_EvalResult]


def evaluate_int(cursor):
    res = _lib.clang_Cursor_Evaluate(cursor)
    if not res:
        return None
    try:
        return _lib.clang_EvalResult_getAsLongLong(res) if _lib.clang_EvalResult_getKind(res) == 1 else None
    finally:
        _lib.clang_EvalResult_dispose(res)


def wasm_type(t):
    """One C type as its wasm32 value type(s); a struct by value goes by pointer unless it
    holds a single scalar (the basic C ABI of wasm32)."""
    t = t.get_canonical()
    k = t.kind
    if k in (ci.TypeKind.POINTER, ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY,
             ci.TypeKind.FUNCTIONPROTO, ci.TypeKind.FUNCTIONNOPROTO, ci.TypeKind.BLOCKPOINTER):
        return ['i32']
    if k == ci.TypeKind.FLOAT:
        return ['f32']
    if k == ci.TypeKind.DOUBLE:
        return ['f64']
    if k == ci.TypeKind.LONGDOUBLE:
        return ['i64', 'i64']
    if k == ci.TypeKind.RECORD or k == ci.TypeKind.ELABORATED:
        fields = list(t.get_fields())
        if len(fields) == 1:
            return wasm_type(fields[0].type)
        return ['i32']
    if k == ci.TypeKind.ENUM or t.get_size() in (1, 2, 4):
        return ['i32']
    if t.get_size() == 8:
        return ['i64']
    return ['?' + t.spelling]


def fn_signature(fntype):
    """(result, [params]) of a FUNCTIONPROTO type, as wasm types; None for no prototype."""
    fntype = fntype.get_canonical()
    if fntype.kind != ci.TypeKind.FUNCTIONPROTO:
        return None
    res = fntype.get_result()
    params = []
    if res.get_canonical().kind == ci.TypeKind.VOID:
        result = 'void'
    else:
        r = wasm_type(res)
        if res.get_canonical().kind == ci.TypeKind.RECORD and len(list(res.get_canonical().get_fields())) != 1:
            result, params = 'void', ['i32']  # returned through a hidden pointer
        else:
            result = r[0] if len(r) == 1 else 'i32'
            if len(r) != 1:
                params = ['i32']
    for a in fntype.argument_types():
        params += wasm_type(a)
    if fntype.is_function_variadic():
        params.append('i32')
    return (result, params)


def pointee_function(t):
    t = t.get_canonical()
    if t.kind == ci.TypeKind.POINTER:
        p = t.get_pointee().get_canonical()
        if p.kind in (ci.TypeKind.FUNCTIONPROTO, ci.TypeKind.FUNCTIONNOPROTO):
            return p
    return None


def fmt(sig):
    return f"({', '.join(sig[1])}) -> {sig[0]}"


def is_void_ptr(t):
    t = t.get_canonical()
    return t.kind == ci.TypeKind.POINTER and t.get_pointee().get_canonical().kind == ci.TypeKind.VOID


def is_void_void(t):
    f = pointee_function(t)
    return f is not None and f.kind == ci.TypeKind.FUNCTIONPROTO and fn_signature(f) == ('void', [])


def is_pointerish(t):
    return t.get_canonical().kind in (ci.TypeKind.POINTER, ci.TypeKind.FUNCTIONPROTO, ci.TypeKind.FUNCTIONNOPROTO)


CASTS = (ci.CursorKind.UNEXPOSED_EXPR, ci.CursorKind.CSTYLE_CAST_EXPR, ci.CursorKind.PAREN_EXPR)


def record_name(t):
    t = t.get_canonical()
    return t.spelling.replace('struct ', '').replace('const ', '').strip()


class Checker:
    def __init__(self, root, cwd, slot_types, heap_offsets):
        self.heap_offsets = heap_offsets  # byte offset in PyHeapTypeObject -> slot function type
        self.root = root
        self.cwd = cwd
        self.slot_types = slot_types  # slot number -> function type (from the structs)
        self.problems = []
        self.checked = 0
        self.unchecked = []

    def report(self, cur, fn, got, want, why):
        loc = cur.location
        path = os.path.relpath(os.path.join(self.cwd, loc.file.name), self.root) if loc.file else '?'
        self.problems.append(f'{path}:{loc.line}: {fn.spelling} is {fmt(got)}, called as {fmt(want)} ({why})')

    def check(self, ref, stack):
        """ref: a DECL_REF_EXPR to a function; stack: its ancestors, innermost last."""
        fn = ref.referenced
        got = fn_signature(fn.type)
        if got is None:
            return
        # The outermost conversion the function's address goes through.
        i = len(stack) - 1
        while i >= 0 and stack[i].kind in CASTS and is_pointerish(stack[i].type):
            i -= 1
        outer = stack[i + 1] if i + 1 < len(stack) else ref
        container = stack[i] if i >= 0 else None
        target = outer.type
        if container is not None and container.kind == ci.CursorKind.CALL_EXPR:
            callee = next(container.get_children(), None)
            if callee is not None and callee == outer:
                return  # a direct call `f(...)`
        if container is not None and container.kind == ci.CursorKind.BINARY_OPERATOR and \
                not is_pointerish(container.type):
            return  # compared, not called
        init = container if container is not None and container.kind == ci.CursorKind.INIT_LIST_EXPR else None
        rec = record_name(init.type) if init is not None else ''
        if rec in ('PyMethodDef',):
            kids = list(init.get_children())
            if len(kids) >= 3 and kids[1] == outer:
                flags = evaluate_int(kids[2])
                want = meth_signature(flags) if flags is not None else None
                self.checked += 1
                if want is None:
                    self.unchecked.append(f'{fn.spelling}: METH flags {flags}')
                elif got != want:
                    self.report(ref, fn, got, want, f'PyMethodDef flags {flags:#x}')
                return
        if rec == 'wrapperbase':  # typeobject.c's slotdefs: {name, offset, function, wrapper, doc, flags}
            kids = list(init.get_children())
            if len(kids) >= 4 and kids[2] == outer:
                offset = evaluate_int(kids[1])
                ftype = self.heap_offsets.get(offset)
                self.checked += 1
                if ftype is None:
                    self.unchecked.append(f'{fn.spelling}: slotdef offset {offset}')
                elif got != fn_signature(ftype):
                    self.report(ref, fn, got, fn_signature(ftype), f'slotdef at offset {offset}')
                return
            if len(kids) >= 4 and kids[3] == outer:
                flags = (evaluate_int(kids[5]) if len(kids) >= 6 else 0) or 0
                # descrobject.c: wrapperfunc (self, args, wrapped) or, with
                # PyWrapperFlag_KEYWORDS, wrapperfunc_kwds (self, args, wrapped, kwds)
                want = (OBJ, [OBJ, OBJ, OBJ, OBJ] if flags & 1 else [OBJ, OBJ, OBJ])
                self.checked += 1
                if got != want:
                    self.report(ref, fn, got, want, f'slotdef wrapper, flags {flags}')
                return
        if rec in ('PyType_Slot', 'PyModuleDef_Slot') and is_void_ptr(target):
            kids = list(init.get_children())
            slot = evaluate_int(kids[0]) if kids else None
            key = (rec, slot)
            ftype = self.slot_types.get(key)
            self.checked += 1
            if ftype is None:
                self.unchecked.append(f'{fn.spelling}: {rec} slot {slot}')
                return
            want = fn_signature(ftype)
            if got != want:
                self.report(ref, fn, got, want, f'{rec} slot {slot}')
            return
        ftype = pointee_function(target)
        if ftype is None or is_void_void(target):
            if not (ftype is None and target.get_canonical().kind == ci.TypeKind.FUNCTIONPROTO):
                self.unchecked.append(f'{fn.spelling} -> {target.spelling}')
            return
        want = fn_signature(ftype)
        if want is None:
            return
        self.checked += 1
        if got != want:
            self.report(ref, fn, got, want, f'converted to {target.spelling}')

    def walk(self, cur, stack):
        for child in cur.get_children():
            loc = child.location
            if loc.file is not None and (loc.file.name.startswith('/usr/') or 'sysroot' in loc.file.name):
                continue
            if child.kind == ci.CursorKind.DECL_REF_EXPR and child.referenced is not None and \
                    child.referenced.kind == ci.CursorKind.FUNCTION_DECL:
                self.check(child, stack)
            stack.append(child)
            self.walk(child, stack)
            stack.pop()


SLOT_PREFIX = {'tp': 'PyTypeObject', 'nb': 'PyNumberMethods', 'sq': 'PySequenceMethods',
               'mp': 'PyMappingMethods', 'am': 'PyAsyncMethods', 'bf': 'PyBufferProcs'}


def slot_types_of(tu, root):
    """(record, slot number) -> the function type of the field the slot fills."""
    fields = {}
    for c in tu.cursor.get_children():
        decl = c
        if c.kind == ci.CursorKind.TYPEDEF_DECL:
            decl = c.underlying_typedef_type.get_canonical().get_declaration()
        if decl.kind == ci.CursorKind.STRUCT_DECL and decl.is_definition():
            name = c.spelling if c.kind == ci.CursorKind.TYPEDEF_DECL else decl.spelling
            for f in decl.get_children():
                if f.kind == ci.CursorKind.FIELD_DECL:
                    fields[(name, f.spelling)] = f.type
    numbers = {}
    typeslots = os.path.join(root, 'Include', 'typeslots.h')
    for line in open(typeslots):
        m = re.match(r'#define Py_(\w\w)_(\w+) (\d+)', line)
        if m:
            numbers[int(m.group(3))] = (m.group(1), m.group(2))
    out = {}
    struct_names = {'PyTypeObject': '_typeobject', 'PyNumberMethods': 'PyNumberMethods',
                    'PySequenceMethods': 'PySequenceMethods', 'PyMappingMethods': 'PyMappingMethods',
                    'PyAsyncMethods': 'PyAsyncMethods', 'PyBufferProcs': 'PyBufferProcs'}
    for num, (prefix, field) in numbers.items():
        rec = struct_names[SLOT_PREFIX[prefix]]
        t = fields.get((rec, f'{prefix}_{field}'))
        f = pointee_function(t) if t is not None else None
        if f is not None:
            out[('PyType_Slot', num)] = f
    return out


def heap_offsets_of(tu):
    """Byte offset in PyHeapTypeObject -> the function type of the slot there (what
    typeobject.c's slotdefs address with offsetof)."""
    heap = None
    for c in tu.cursor.get_children():
        if c.kind == ci.CursorKind.STRUCT_DECL and c.spelling == '_heaptypeobject' and c.is_definition():
            heap = c
    out = {}

    def add(struct_type, base):
        decl = struct_type.get_canonical().get_declaration()
        for f in decl.get_children():
            if f.kind != ci.CursorKind.FIELD_DECL:
                continue
            off = base + struct_type.get_canonical().get_offset(f.spelling) // 8
            ft = f.type.get_canonical()
            if ft.kind == ci.TypeKind.RECORD:
                add(ft, off)
            elif pointee_function(ft) is not None:
                out.setdefault(off, pointee_function(ft))

    if heap is not None:
        add(heap.type, 0)
    return out


MOD_SLOT_DECLS = '''
typedef struct _object PyObject_; struct PyModuleDef;
typedef PyObject_ *(*pybox_mod_create)(PyObject_ *, struct PyModuleDef *);
typedef int (*pybox_mod_exec)(PyObject_ *);
'''


def check_tu(args):
    cmd, cwd, root = args
    argv = shlex.split(cmd)
    src = source_of(cmd)
    keep = []
    skip = False
    for a in argv[1:]:
        if skip:
            skip = False
            continue
        if a in ('-c', src) or a.startswith('-flto') or a.startswith('-O') or a.startswith('-W'):
            continue
        if a == '-o':
            skip = True
            continue
        keep.append(a)
    index = ci.Index.create()
    path = os.path.normpath(os.path.join(cwd, src))
    tu = index.parse(path, args=keep + ['-Wno-everything', '-resource-dir', RESOURCE_DIR, f'-working-directory={cwd}'])
    errors = [d for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
    if errors:
        return (path, [f'{path}: parse error: {errors[0]}'], 0, [])
    slots = slot_types_of(tu, root)
    # PyModuleDef_Slot ids: Py_mod_create 1, Py_mod_exec 2 (Include/moduleobject.h).
    helper = index.parse('pybox_slots.c', args=['--target=wasm32-wasi'],
                         unsaved_files=[('pybox_slots.c', MOD_SLOT_DECLS)])
    for c in helper.cursor.get_children():
        if c.kind == ci.CursorKind.TYPEDEF_DECL and c.spelling.startswith('pybox_mod_'):
            f = pointee_function(c.underlying_typedef_type)
            slots[('PyModuleDef_Slot', 1 if c.spelling.endswith('create') else 2)] = f
    checker = Checker(root, cwd, slots, heap_offsets_of(tu))
    checker.walk(tu.cursor, [])
    return (path, checker.problems, checker.checked, checker.unchecked)


def source_of(cmd):
    return next(a for a in shlex.split(cmd) if a.endswith('.c'))


def compile_commands(cross):
    """The compile command of every object of the static libraries (make -n, never -B:
    -B would re-run configure)."""
    libs = ['libpython3.13.a', 'Modules/_decimal/libmpdec/libmpdec.a', 'Modules/expat/libexpat.a',
            'Modules/_hacl/libHacl_Hash_SHA2.a']
    out = subprocess.run(['make', '-n', '-W', '../src-cross/Include/Python.h', *libs], cwd=cross,
                         capture_output=True, text=True).stdout.replace('\\\n', ' ')
    return [l for l in out.splitlines() if l.startswith('clang-16 ') and ' -c ' in l and 'Include' in l]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default=os.path.join(os.path.dirname(__file__), '..', '.work'))
    ap.add_argument('--cross', default='cross-pm1-d30')
    ap.add_argument('--jobs', type=int, default=os.cpu_count())
    ap.add_argument('--verbose', action='store_true', help='also list what could not be checked')
    ap.add_argument('files', nargs='*', help='only these sources (suffix match)')
    o = ap.parse_args()
    work = os.path.abspath(o.work)
    cross = os.path.join(work, o.cross)
    root = os.path.join(work, 'src-cross')
    cmds = compile_commands(cross)
    if o.files:
        cmds = [c for c in cmds if any(source_of(c).endswith(f) for f in o.files)]
    if not cmds:
        sys.exit(f'no compile commands found in {cross} (run guest/build.sh first)')
    problems, checked, unchecked = [], 0, []
    with ProcessPoolExecutor(o.jobs) as ex:
        for path, p, n, u in ex.map(check_tu, [(c, cross, root) for c in cmds]):
            problems += p
            checked += n
            unchecked += [f'{os.path.relpath(path, root)}: {x}' for x in u]
    for p in sorted(set(problems)):
        print(p)
    if o.verbose:
        for u in sorted(set(unchecked)):
            print('unchecked:', u)
    print(f'{len(cmds)} files, {checked} function-pointer uses checked, '
          f'{len(set(unchecked))} not checkable, {len(set(problems))} mismatches', file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
