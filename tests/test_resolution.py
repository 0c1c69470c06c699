"""The resolution module on its own API: scopes, bindings, class members, imports and the
resolution of call sites, with scope trees made by hand as the builder records them."""

from __future__ import annotations

import ast
import textwrap
from unittest.mock import ANY

import pytest

from workbench.frontends.python.builder import Builder
from workbench.frontends.python.kinds import CODE_MAX
from workbench.frontends.python.resolution import (
    UNBOUND,
    ClassInfo,
    Definition,
    DefKind,
    Resolver,
    Scope,
    ScopeKind,
    absolute_module,
    attr_path,
    dotted,
    from_import_binding,
    import_binding,
)


def func_of(src: str) -> ast.expr:
    """The callee expression of the call ``src``."""
    node = ast.parse(src, mode="eval").body
    assert isinstance(node, ast.Call), src
    return node.func


def resolve(scope: Scope, src: str, module: Scope | None = None):
    """Resolve the call ``src`` made in ``scope``."""
    if module is None:
        module = scope
        while module.parent is not None:
            module = module.parent
    return Resolver(module).resolve_call(func_of(src), scope)


def function(parent: Scope, *params: str) -> Scope:
    """A function scope with its parameters bound, as the builder makes it."""
    scope = Scope(ScopeKind.FUNCTION, parent)
    scope.locals.update(params)
    scope.bind_receiver(None)
    return scope


def klass(
    scope: Scope, name: str, bases: tuple[str, ...] = (), methods: dict[str, int] | None = None
) -> tuple[ClassInfo, Scope]:
    """Define class ``name`` in ``scope`` with the given methods (name -> METHOD id)."""
    prefix = f"{scope.cls.full_name}." if scope.cls is not None else "m."
    info = ClassInfo(prefix + name, scope, list(bases))
    body = Scope(ScopeKind.CLASS, scope, info)
    body.bind_receiver(None)
    for mname, mid in (methods or {}).items():
        body.define_function(mname, f"{info.full_name}.{mname}", mid)
    scope.define_class(name, info)
    return info, body


def method(body: Scope, *params: str, static: bool = False) -> Scope:
    """A ``def`` in the class body ``body``: its first parameter is the receiver."""
    scope = Scope(ScopeKind.FUNCTION, body)
    scope.locals.update(params)
    scope.bind_receiver(params[0] if params else None, static=static)
    return scope


# -- local functions and nested scopes ----------------------------------------------------------


def test_local_function_resolves_to_its_method():
    module = Scope(ScopeKind.MODULE)
    module.define_function("helper", "m.helper", 5)
    assert resolve(module, "helper(1)") == ("local", "m.helper", 5)
    assert resolve(function(module, "x"), "helper(x)") == ("local", "m.helper", 5)


def test_last_definition_of_a_name_wins():
    module = Scope(ScopeKind.MODULE)
    module.define_function("f", "m.f", 3)
    module.define_function("f", "m.f", 9)
    assert resolve(module, "f()") == ("local", "m.f", 9)
    module.define_import("f", "lib.f")
    assert resolve(module, "f()") == ("import", "lib.f", None)


def test_closure_sees_the_enclosing_functions_defs():
    module = Scope(ScopeKind.MODULE)
    outer = function(module)
    outer.define_function("inner", "m.outer.<locals>.inner", 12)
    closure = function(outer)
    deeper = Scope(ScopeKind.COMPREHENSION, closure)
    assert resolve(closure, "inner()") == ("local", "m.outer.<locals>.inner", 12)
    assert resolve(deeper, "inner()") == ("local", "m.outer.<locals>.inner", 12)
    # the module does not see a function's locals
    assert resolve(module, "inner()") == ("unresolved", "inner", None)


def test_class_body_is_not_an_enclosing_scope_of_its_methods():
    module = Scope(ScopeKind.MODULE)
    _, body = klass(module, "C")
    body.define_function("util", "m.C.util", 4)
    assert resolve(body, "util()") == ("local", "m.C.util", 4)  # in the class body itself
    assert resolve(method(body, "self"), "util()") == ("unresolved", "util", None)
    module.define_function("util", "m.util", 2)
    assert resolve(method(body, "self"), "util()") == ("local", "m.util", 2)


def test_global_declaration_looks_in_the_module():
    module = Scope(ScopeKind.MODULE)
    module.define_function("step", "m.step", 7)
    f = function(module)
    f.locals.add("step")  # step = ... in f
    assert resolve(f, "step()") == ("unresolved", "step", None)
    f.globals.add("step")  # global step
    assert resolve(f, "step()") == ("local", "m.step", 7)
    # global skips enclosing function scopes too
    outer = function(module)
    outer.define_function("step", "m.outer.<locals>.step", 20)
    inner = function(outer)
    assert resolve(inner, "step()") == ("local", "m.outer.<locals>.step", 20)
    inner.globals.add("step")
    assert resolve(inner, "step()") == ("local", "m.step", 7)


def test_global_name_not_bound_in_the_module_falls_back_to_builtins():
    module = Scope(ScopeKind.MODULE)
    f = function(module)
    f.define_function("len", "m.f.<locals>.len", 8)
    f.globals.add("len")
    assert resolve(f, "len(x)") == ("builtin", "builtins.len", None)


def test_nonlocal_rebinding_is_a_value_not_followed():
    module = Scope(ScopeKind.MODULE)
    outer = function(module)
    outer.define_function("handler", "m.outer.<locals>.handler", 30)
    inner = function(outer)
    assert resolve(inner, "handler()") == ("local", "m.outer.<locals>.handler", 30)
    # `nonlocal handler; handler = other`: the builder binds the name in the inner scope
    inner.locals.add("handler")
    assert resolve(inner, "handler()") == ("unresolved", "handler", None)
    assert Resolver(module).binding("handler", inner) is None


def test_binding_returns_definition_none_or_unbound():
    module = Scope(ScopeKind.MODULE)
    module.locals.add("x")
    module.define_import("os", "os")
    f = function(module, "p")
    r = Resolver(module)
    assert r.binding("os", f) == Definition(DefKind.IMPORT, "os", None)
    assert r.binding("x", f) is None
    assert r.binding("p", f) is None
    assert r.binding("len", f) is UNBOUND
    assert r.binding("p", module) is UNBOUND


def test_named_expr_in_comprehension_binds_in_the_enclosing_function():
    module = Scope(ScopeKind.MODULE)
    f = function(module)
    comp = Scope(ScopeKind.COMPREHENSION, Scope(ScopeKind.COMPREHENSION, f))
    comp.bind_named_expr("hit")
    assert "hit" in f.locals
    assert "hit" not in comp.locals and "hit" not in comp.parent.locals
    g = function(module)
    g.bind_named_expr("y")
    assert g.locals == {"y"}
    top = Scope(ScopeKind.COMPREHENSION, module)
    top.bind_named_expr("z")
    assert module.locals == {"z"}


# -- classes, members, inheritance ---------------------------------------------------------------


def test_class_call_resolves_to_init():
    module = Scope(ScopeKind.MODULE)
    klass(module, "WithInit", methods={"__init__": 11})
    klass(module, "Bare")
    assert resolve(module, "WithInit()") == ("class", "m.WithInit.__init__", 11)
    assert resolve(module, "Bare()") == ("class", "m.Bare.__init__", None)


def test_inherited_init_is_found_in_a_base():
    module = Scope(ScopeKind.MODULE)
    klass(module, "Base", methods={"__init__": 3})
    klass(module, "Child", bases=("Base",))
    assert resolve(module, "Child()") == ("class", "m.Base.__init__", 3)


def test_self_method_resolves_in_the_class():
    module = Scope(ScopeKind.MODULE)
    _, body = klass(module, "C", methods={"run": 5, "stop": 9})
    m = method(body, "self", "arg")
    assert (m.self_name, m.self_class.full_name) == ("self", "m.C")
    assert resolve(m, "self.stop()") == ("method", "m.C.stop", 9)
    assert resolve(m, "self.missing()") == ("method", "m.C.missing", None)
    # a deeper chain is not a method of the class: self is a parameter, not followed
    assert resolve(m, "self.conn.close()") == ("unresolved", "self.conn.close", None)


def test_receiver_is_the_first_parameter_whatever_its_name():
    module = Scope(ScopeKind.MODULE)
    _, body = klass(module, "C", methods={"make": 4})
    m = method(body, "cls")  # a classmethod
    assert resolve(m, "cls.make()") == ("method", "m.C.make", 4)
    assert resolve(m, "self.make()") == ("unresolved", "self.make", None)


def test_staticmethod_and_lambda_in_class_have_no_receiver():
    module = Scope(ScopeKind.MODULE)
    _, body = klass(module, "C", methods={"run": 4})
    static = method(body, "x", static=True)
    assert static.self_name is None and static.self_class is None
    assert resolve(static, "x.run()") == ("unresolved", "x.run", None)
    lam = Scope(ScopeKind.FUNCTION, body)
    lam.locals.add("self")
    lam.bind_receiver(None)  # lambdas pass no first parameter
    assert lam.self_name is None
    assert resolve(lam, "self.run()") == ("unresolved", "self.run", None)
    no_params = method(body)
    assert no_params.self_name is None


def test_closures_see_the_methods_receiver_unless_they_rebind_it():
    module = Scope(ScopeKind.MODULE)
    _, body = klass(module, "C", methods={"run": 4})
    m = method(body, "self")
    closure = function(m, "x")
    comp = Scope(ScopeKind.COMPREHENSION, closure)
    comp.bind_receiver(None)
    assert resolve(closure, "self.run()") == ("method", "m.C.run", 4)
    assert resolve(comp, "self.run()") == ("method", "m.C.run", 4)
    shadowing = function(m, "self")
    assert shadowing.self_name is None
    assert resolve(shadowing, "self.run()") == ("unresolved", "self.run", None)
    # a class defined inside the method starts afresh
    _, inner_body = klass(m, "Inner")
    assert inner_body.self_name is None and inner_body.self_class is None


def test_inherited_method_through_self_follows_the_bases():
    module = Scope(ScopeKind.MODULE)
    klass(module, "A", methods={"greet": 2, "ping": 3})
    klass(module, "B", bases=("A",), methods={"ping": 6})
    _, body = klass(module, "C", bases=("B",))
    m = method(body, "self")
    assert resolve(m, "self.greet()") == ("method", "m.A.greet", 2)
    assert resolve(m, "self.ping()") == ("method", "m.B.ping", 6)  # the nearest override


def test_multiple_bases_are_searched_left_to_right():
    module = Scope(ScopeKind.MODULE)
    klass(module, "Left", methods={"m": 10})
    klass(module, "Right", methods={"m": 20, "only_right": 21})
    info, _ = klass(module, "Both", bases=("Left", "Right"))
    r = Resolver(module)
    assert r.class_member(info, "m") == ("m.Left.m", 10)
    assert r.class_member(info, "only_right") == ("m.Right.only_right", 21)
    assert r.class_member(info, "nowhere") is None


def test_diamond_is_searched_depth_first_not_by_c3():
    # class A: m; class B(A): ...; class C(A): m; class D(B, C): ...
    # Python's MRO is D B C A (C.m); the resolver goes depth first: A.m. Changing this changes
    # the CPG output (bump GENERATOR).
    module = Scope(ScopeKind.MODULE)
    klass(module, "A", methods={"m": 1})
    klass(module, "B", bases=("A",))
    klass(module, "C", bases=("A",), methods={"m": 3})
    info, _ = klass(module, "D", bases=("B", "C"))
    assert Resolver(module).class_member(info, "m") == ("m.A.m", 1)


def test_bases_that_are_not_classes_of_the_module_are_skipped():
    module = Scope(ScopeKind.MODULE)
    module.define_import("Thread", "threading.Thread")
    klass(module, "Local", methods={"run": 8})
    info, body = klass(module, "Worker", bases=("Thread", "mod.Base", "Local"))
    assert Resolver(module).class_member(info, "run") == ("m.Local.run", 8)
    assert resolve(method(body, "self"), "self.start()") == ("method", "m.Worker.start", None)


def test_inheritance_cycle_terminates():
    module = Scope(ScopeKind.MODULE)
    a, _ = klass(module, "A", bases=("B",))
    klass(module, "B", bases=("A",))
    assert Resolver(module).class_member(a, "m") is None
    assert resolve(module, "A()") == ("class", "m.A.__init__", None)


def test_base_names_are_looked_up_where_the_class_statement_stands():
    module = Scope(ScopeKind.MODULE)
    klass(module, "Base", methods={"hook": 1})
    f = function(module)
    klass(f, "Base", methods={"hook": 40})  # a local class of the same name
    info, _ = klass(f, "Local", bases=("Base",))
    assert Resolver(module).class_member(info, "hook") == ("m.Base.hook", 40)
    assert Resolver(module).class_of("Base", f).full_name == "m.Base"
    assert Resolver(module).class_of("Base", f) is not Resolver(module).class_of("Base", module)


def test_super_call_resolves_in_the_bases():
    module = Scope(ScopeKind.MODULE)
    klass(module, "Base", methods={"__init__": 2, "save": 3})
    _, body = klass(module, "Child", bases=("Base",), methods={"save": 9})
    m = method(body, "self")
    assert resolve(m, "super().save()") == ("method", "m.Base.save", 3)
    assert resolve(m, "super().__init__()") == ("method", "m.Base.__init__", 2)
    assert resolve(m, "super().gone()") == ("method", "m.Child.gone", None)
    # super() outside a method: nothing to go on
    assert resolve(module, "super().save()") == ("unresolved", "super().save", None)


def test_class_attribute_call():
    module = Scope(ScopeKind.MODULE)
    klass(module, "C", methods={"build": 6})
    assert resolve(module, "C.build(x)") == ("method", "m.C.build", 6)
    assert resolve(module, "C.other()") == ("method", "m.C.other", None)
    assert resolve(module, "C.inner.go()") == ("method", "m.C.inner.go", None)


def test_nested_class_full_names():
    module = Scope(ScopeKind.MODULE)
    _, outer_body = klass(module, "Outer")
    klass(outer_body, "Inner", methods={"__init__": 14})
    assert resolve(outer_body, "Inner()") == ("class", "m.Outer.Inner.__init__", 14)


# -- imports ---------------------------------------------------------------------------------


def test_import_bindings():
    assert import_binding("a.b", "c") == ("c", "a.b")
    assert import_binding("a.b", None) == ("a", "a")
    assert import_binding("os", None) == ("os", "os")
    assert from_import_binding("x", "y", "z") == ("z", "x.y")
    assert from_import_binding("x.sub", "y", None) == ("y", "x.sub.y")
    assert from_import_binding("", "y", None) == ("y", "y")


def test_import_as_resolves_attribute_calls():
    module = Scope(ScopeKind.MODULE)
    module.define_import(*import_binding("a.b", "c"))
    module.define_import(*import_binding("os.path", None))
    assert resolve(module, "c.run()") == ("import", "a.b.run", None)
    assert resolve(module, "c.sub.run()") == ("import", "a.b.sub.run", None)
    assert resolve(module, "os.path.join(a, b)") == ("import", "os.path.join", None)
    assert resolve(module, "c()") == ("import", "a.b", None)


def test_from_import_as_resolves_the_name():
    module = Scope(ScopeKind.MODULE)
    module.define_import(*from_import_binding("json", "loads", "parse"))
    assert resolve(function(module, "s"), "parse(s)") == ("import", "json.loads", None)
    assert resolve(module, "loads(s)") == ("unresolved", "loads", None)


@pytest.mark.parametrize(
    ("importer", "is_package", "module", "level", "expected"),
    [
        ("pkg.sub.mod", False, None, 0, ""),
        ("pkg.sub.mod", False, "json", 0, "json"),
        ("pkg.sub.mod", False, "util", 1, "pkg.sub.util"),
        ("pkg.sub.mod", False, None, 1, "pkg.sub"),
        ("pkg.sub.mod", False, "other", 2, "pkg.other"),
        ("pkg.sub.mod", False, "top", 3, "top"),
        ("pkg.sub.mod", False, "x", 4, "....x"),
        ("pkg.sub", True, "util", 1, "pkg.sub.util"),
        ("pkg.sub", True, "util", 2, "pkg.util"),
        ("pkg", True, None, 1, "pkg"),
        ("mod", False, "x", 1, "x"),
        ("mod", False, None, 1, ""),
        ("mod", False, "x", 2, "..x"),
    ],
)
def test_absolute_module(importer, is_package, module, level, expected):
    assert absolute_module(importer, is_package, module, level) == expected


def test_relative_import_resolves_through_the_absolute_name():
    module = Scope(ScopeKind.MODULE)
    base = absolute_module("pkg.sub.mod", False, None, 1)
    module.define_import(*from_import_binding(base, "sibling", None))
    other = absolute_module("pkg.sub.mod", False, "tools", 2)
    module.define_import(*from_import_binding(other, "run", "go"))
    assert resolve(module, "sibling.work()") == ("import", "pkg.sub.sibling.work", None)
    assert resolve(module, "go()") == ("import", "pkg.tools.run", None)


def test_import_in_a_function_is_local_to_it():
    module = Scope(ScopeKind.MODULE)
    f = function(module)
    f.define_import("np", "numpy")
    assert resolve(f, "np.zeros(3)") == ("import", "numpy.zeros", None)
    assert resolve(module, "np.zeros(3)") == ("unresolved", "np.zeros", None)


# -- builtins and shadowing --------------------------------------------------------------------


def test_builtins():
    module = Scope(ScopeKind.MODULE)
    f = function(module, "s")
    assert resolve(f, "len(s)") == ("builtin", "builtins.len", None)
    assert resolve(f, "print()") == ("builtin", "builtins.print", None)
    assert resolve(f, "str.join(s, x)") == ("builtin", "builtins.str.join", None)
    assert resolve(f, "dict.fromkeys.x()") == ("builtin", "builtins.dict.fromkeys.x", None)


def test_local_shadows_a_builtin():
    module = Scope(ScopeKind.MODULE)
    module.define_function("open", "m.open", 3)
    f = function(module, "list")  # a parameter named list
    assert resolve(f, "open(p)") == ("local", "m.open", 3)
    assert resolve(f, "list(x)") == ("unresolved", "list", None)
    assert resolve(f, "list.sort()") == ("unresolved", "list.sort", None)
    assert resolve(module, "list(x)") == ("builtin", "builtins.list", None)
    module.locals.add("len")  # len = ...
    assert resolve(f, "len(x)") == ("unresolved", "len", None)


def test_import_shadows_a_builtin_and_a_local_shadows_an_import():
    module = Scope(ScopeKind.MODULE)
    module.define_import(*from_import_binding("mylib", "print", None))
    module.define_import(*import_binding("os", None))
    f = function(module)
    assert resolve(f, "print(x)") == ("import", "mylib.print", None)
    assert resolve(f, "os.getcwd()") == ("import", "os.getcwd", None)
    f.locals.add("os")  # os = FakeOS()
    assert resolve(f, "os.getcwd()") == ("unresolved", "os.getcwd", None)
    g = function(module)
    g.define_function("print", "m.g.<locals>.print", 50)
    assert resolve(g, "print(x)") == ("local", "m.g.<locals>.print", 50)


# -- unresolved ------------------------------------------------------------------------------


def test_unknown_names_are_unresolved():
    module = Scope(ScopeKind.MODULE)
    f = function(module, "cb", "obj")
    assert resolve(f, "nowhere()") == ("unresolved", "nowhere", None)
    assert resolve(f, "cb()") == ("unresolved", "cb", None)
    assert resolve(f, "obj.method()") == ("unresolved", "obj.method", None)
    assert resolve(f, "ghost.method()") == ("unresolved", "ghost.method", None)


def test_attribute_of_a_local_function_is_unresolved():
    module = Scope(ScopeKind.MODULE)
    module.define_function("helper", "m.helper", 3)
    assert resolve(module, "helper.cache_clear()") == ("unresolved", "helper.cache_clear", None)


def test_callee_expressions_keep_their_code():
    module = Scope(ScopeKind.MODULE)
    module.define_function("factory", "m.factory", 2)
    assert resolve(module, "factory()()") == ("unresolved", "factory()", None)
    assert resolve(module, "handlers[0](x)") == ("unresolved", "handlers[0]", None)
    assert resolve(module, "factory().run()") == ("unresolved", "factory().run", None)
    assert resolve(module, "(lambda: 1)()") == ("unresolved", "lambda: 1", None)
    long = "f(" + ", ".join(f"argument_{i}" for i in range(60)) + ")"
    res, full, target = resolve(module, long + "()")
    assert (res, target, len(full)) == ("unresolved", None, CODE_MAX)
    assert full == long[:CODE_MAX]


# -- names -----------------------------------------------------------------------------------


def test_dotted_and_attr_path():
    def expr(src):
        return ast.parse(src, mode="eval").body

    assert attr_path(expr("a.b.c")) == "a.b.c"
    assert attr_path(expr("a().b")) is None
    assert attr_path(expr("a[0].b")) is None
    assert dotted(expr("name")) == "name"
    assert dotted(expr("pkg.mod.Base")) == "pkg.mod.Base"
    assert dotted(expr("Generic[T]")) is None
    assert dotted(expr("1")) is None


# -- what the builder records --------------------------------------------------------------------


BUILT = """
import os.path as osp
from .util import helper as h

def top():
    pass

class Base:
    def __init__(self):
        pass
    def greet(self):
        pass

class Child(Base):
    def run(self):
        def closure():
            return self.greet()
        return closure

    @staticmethod
    def tool(x):
        pass

def outer():
    def inner():
        pass
    return [last := v for v in range(3)]
"""


@pytest.fixture(scope="module")
def built():
    text = textwrap.dedent(BUILT)
    b = Builder(text, "pkg.mod", False, 10**6)
    b.build(ast.parse(text))
    return b


def test_builder_records_module_definitions(built):
    module = built.module_scope
    assert module.kind is ScopeKind.MODULE and module.parent is None
    assert {k: (d.kind, d.full_name) for k, d in module.defs.items()} == {
        "osp": (DefKind.IMPORT, "os.path"),
        "h": (DefKind.IMPORT, "pkg.util.helper"),
        "top": (DefKind.FUNCTION, "pkg.mod.top"),
        "Base": (DefKind.CLASS, "pkg.mod.Base"),
        "Child": (DefKind.CLASS, "pkg.mod.Child"),
        "outer": (DefKind.FUNCTION, "pkg.mod.outer"),
    }
    child = module.defs["Child"].target
    assert child.bases == ["Base"] and child.scope is module
    assert sorted(child.methods) == ["run", "tool"]
    assert child.methods["run"][0] == "pkg.mod.Child.run"


def test_builder_scopes_resolve_like_the_cpg(built):
    """Every recorded call site resolves to what the CPG stores for it."""
    resolver = Resolver(built.module_scope)
    got = {}
    for _, func, scope, _ in built.calls:
        got[ast.unparse(func)] = resolver.resolve_call(func, scope)
    base = built.module_scope.defs["Base"].target
    assert got == {
        "self.greet": ("method", "pkg.mod.Base.greet", base.methods["greet"][1]),
        "range": ("builtin", "builtins.range", None),
    }


def test_builder_binds_walrus_targets_and_closures_in_the_function(built):
    scopes = {ast.unparse(func): scope for _, func, scope, _ in built.calls}
    outer = scopes["range"]  # the first iterable is evaluated in the enclosing scope
    assert outer.kind is ScopeKind.FUNCTION
    assert outer.locals == {"inner", "last"}
    assert outer.defs["inner"] == Definition(DefKind.FUNCTION, "pkg.mod.outer.<locals>.inner", ANY)
    closure = scopes["self.greet"]
    assert (closure.self_name, closure.self_class.full_name) == ("self", "pkg.mod.Child")
    assert closure.parent.parent.kind is ScopeKind.CLASS
