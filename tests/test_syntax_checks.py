"""Code that Python rejects at compile time although ``ast.parse`` accepts it is a
``ParseError`` with the compiler's line, found during the build (no second compile)."""

from __future__ import annotations

import ast
import warnings

import pytest

import workbench as wb
from workbench.errors import ParseError

#: Rejected by ``compile()`` (each snippet parses).
REJECTED = [
    pytest.param("return 1", id="ret_mod"),
    pytest.param("class C:\n    return 1", id="ret_cls"),
    pytest.param("yield 1", id="yield_mod"),
    pytest.param("class C:\n    yield 1", id="yield_cls"),
    pytest.param("def f():\n    [(yield x) for x in y]", id="yield_comp"),
    pytest.param("def f():\n    ((yield x) for x in y)", id="yield_genexp"),
    pytest.param("break", id="break_mod"),
    pytest.param("continue", id="cont_mod"),
    pytest.param("for x in y:\n    pass\nelse:\n    break", id="break_else"),
    pytest.param("for x in y:\n    def f():\n        break", id="break_def"),
    pytest.param("nonlocal x", id="nonlocal_mod"),
    pytest.param("def f():\n    nonlocal x", id="nonlocal_unbound"),
    pytest.param("class C:\n    nonlocal x", id="nonlocal_cls_mod"),
    pytest.param("def f(x):\n    nonlocal x", id="nonlocal_param"),
    pytest.param(
        "def f():\n    global x\n    x = 1\n    def g():\n        nonlocal x",
        id="nonlocal_globalled",
    ),
    pytest.param(
        "def f():\n    class C:\n        x = 1\n        def g(self):\n            nonlocal x",
        id="nonlocal_cls_only",
    ),
    pytest.param(
        "def f():\n    x = 1\n    def g():\n        global x\n        nonlocal x",
        id="nonlocal_and_global",
    ),
    pytest.param("await x", id="await_mod"),
    pytest.param("def f():\n    await x", id="await_def"),
    pytest.param("async def f():\n    lambda: await x", id="await_lambda"),
    pytest.param("class C:\n    await x", id="await_cls"),
    pytest.param("def f():\n    [await x for x in y]", id="await_comp_def"),
    pytest.param("def f():\n    async for x in y:\n        pass", id="async_for_def"),
    pytest.param("def f():\n    async with x:\n        pass", id="async_with_def"),
    pytest.param("def f():\n    [x async for x in y]", id="async_comp_def"),
    pytest.param("[x async for x in y]", id="async_comp_mod"),
    pytest.param("*a = b", id="star_assign"),
    pytest.param("*a, *b = c", id="star_multi"),
    pytest.param("x = *a", id="star_load"),
    pytest.param("for *a in b: pass", id="star_for"),
    pytest.param("def f(a, a): pass", id="dup_param"),
    pytest.param("def f(a, *, a): pass", id="dup_param_kw"),
    pytest.param("lambda a, a: 1", id="dup_lambda"),
    pytest.param("def f():\n    print(x)\n    global x", id="global_after_use"),
    pytest.param("def f():\n    x = 1\n    global x", id="global_after_assign"),
    pytest.param("def f(x):\n    global x", id="global_param"),
    pytest.param("def f():\n    x: int\n    global x", id="global_annot"),
    pytest.param("def f():\n    global x\n    x: int = 1", id="global_annot2"),
    pytest.param("print(x)\nglobal x", id="global_mod_after"),
    pytest.param(
        "def f():\n    x = 1\n    def g():\n        print(x)\n        nonlocal x",
        id="nonlocal_after_use",
    ),
    pytest.param("async def f():\n    yield 1\n    return 2", id="ret_async_gen"),
    pytest.param("async def f():\n    yield from x", id="yield_from_async"),
    pytest.param("def f():\n    from os import *", id="import_star_def"),
    pytest.param("class C:\n    from os import *", id="import_star_cls"),
    pytest.param("x = 1\nfrom __future__ import annotations", id="future_late"),
    pytest.param("from __future__ import nope", id="future_bad"),
    pytest.param("from __future__ import braces", id="future_braces"),
    pytest.param("__debug__ = 1", id="debug_assign"),
    pytest.param("def f(__debug__): pass", id="debug_param"),
    pytest.param("x.__debug__ = 1", id="debug_attr"),
    pytest.param(
        "try:\n    pass\nexcept:\n    pass\nexcept E:\n    pass", id="bare_except_not_last"
    ),
    pytest.param(
        "for x in y:\n    try:\n        pass\n    except* E:\n        break", id="exstar_break"
    ),
    pytest.param(
        "def f():\n    try:\n        pass\n    except* E:\n        return", id="exstar_return"
    ),
    pytest.param("f(a=1, a=2)", id="kw_repeat"),
    pytest.param("match x:\n    case [a, a]:\n        pass", id="match_dup"),
    pytest.param(
        "match x:\n    case a:\n        pass\n    case 1:\n        pass", id="match_irrefutable"
    ),
    pytest.param("match x:\n    case _:\n        pass\n    case 1:\n        pass", id="match_wild"),
    pytest.param("match x:\n    case [a] | [b]:\n        pass", id="match_or_names"),
    pytest.param("match x:\n    case {'a': 1, 'a': 2}:\n        pass", id="match_key_dup"),
    pytest.param("match x:\n    case C(a=1, a=2):\n        pass", id="match_cls_attr"),
    pytest.param("match x:\n    case a | 1:\n        pass", id="match_or_irref"),
    pytest.param("[x for x in (y := z)]", id="walrus_iter"),
    pytest.param("[x := 1 for x in y]", id="walrus_rebind"),
    pytest.param("class C:\n    [(y := x) for x in z]", id="walrus_cls"),
    pytest.param("del __debug__", id="del_debug"),
    pytest.param("def f():\n    nonlocal f", id="nonlocal_type"),
    pytest.param("class C:\n    @(yield)\n    def f(): pass", id="yield_in_decorator_cls"),
    pytest.param(
        "class C:\n    def f(self):\n        nonlocal x", id="nonlocal_at_class_level_in_module_cls"
    ),
    pytest.param("class C:\n    x = 1\n    global x", id="global_in_class_after_use"),
    pytest.param("def f(*a, a): pass", id="param_kwonly_dup_vararg"),
    pytest.param("def f(a, **a): pass", id="dup_kwarg"),
    pytest.param("[await x for x in y]", id="comp_await_mod"),
    pytest.param("def f():\n    [[x async for x in y] for z in w]", id="nested_async_def"),
    pytest.param("def f():\n    [[await x for x in y] for z in w]", id="nested_await_def"),
    pytest.param("async for x in y:\n    pass", id="async_for_mod"),
    pytest.param("async with x:\n    pass", id="async_with_mod"),
    pytest.param("async def f():\n    lambda: [x async for x in y]", id="async_comp_lambda"),
    pytest.param("class C:\n    [x async for x in y]", id="async_comp_cls"),
    pytest.param("[x for x in (lambda: (y := 1))()]", id="walrus_lambda_iter"),
    pytest.param("[x for x in [(y := 1) for _ in r]]", id="walrus_inner_comp_iter"),
    pytest.param("[[(x := 1) for y in z] for x in w]", id="walrus_nested_rebind"),
    pytest.param("def f():\n    from __future__ import annotations", id="future_in_def"),
    pytest.param("import __debug__", id="import_debug"),
    pytest.param("f(__debug__=1)", id="kw_debug"),
    pytest.param("for __debug__ in x: pass", id="for_debug"),
    pytest.param("with a as *b: pass", id="star_with"),
    pytest.param("[x for *a in b]", id="star_comp"),
    pytest.param(
        "def f():\n    x=1\n    class C:\n        x = 2\n        nonlocal x",
        id="nonlocal_in_class_of_func_cls_var",
    ),
    pytest.param(
        "def f():\n    x = 1\n    def g():\n        nonlocal x\n        global x",
        id="global_then_nonlocal_outer",
    ),
    pytest.param(
        "def f():\n    lambda x: 1\n    def g():\n        nonlocal x",
        id="nonlocal_bound_by_lambda_param",
    ),
    pytest.param("async def f():\n    return 2\n    yield 1", id="ret_async_gen_later_yield"),
    pytest.param("match x:\n    case _ | 1:\n        pass", id="match_or_wild_not_last"),
    pytest.param("match x:\n    case [a] as a:\n        pass", id="match_dup_as"),
    pytest.param("match x:\n    case {'k': a, **a}:\n        pass", id="match_mapping_rest_dup"),
    pytest.param("match x:\n    case {1: a, 1.0: b}:\n        pass", id="match_dup_key_num"),
    pytest.param("match x:\n    case [*a, a]:\n        pass", id="match_star_dup"),
    pytest.param(
        "match x:\n    case (_ as y):\n        pass\n    case 1:\n        pass",
        id="match_as_irrefutable_not_last",
    ),
    pytest.param("match x:\n    case [a | 1]:\n        pass", id="match_nested_or_irref"),
    pytest.param("def f():\n    class C:\n        yield 1", id="yield_in_class_in_func"),
    pytest.param("def f():\n    class C:\n        return 1", id="return_in_class_in_func"),
    pytest.param("for x in y:\n    class C:\n        break", id="break_in_class_in_loop"),
    pytest.param("def f(a, /, a): pass", id="dup_param_posonly"),
    pytest.param("f(a=1, **k, a=2)", id="kw_repeat_star"),
]

#: Accepted by ``compile()``: near misses of the rules above.
ACCEPTED = [
    pytest.param(
        "class C:\n    def f(self):\n        nonlocal __class__\n", id="nonlocal_class_cell"
    ),
    pytest.param("def f():\n    [x for x in (yield y)]", id="yield_comp_iter"),
    pytest.param("lambda: (yield)", id="yield_lambda"),
    pytest.param(
        "for x in y:\n    try:\n        pass\n    finally:\n        continue", id="cont_finally"
    ),
    pytest.param("def f():\n    def g():\n        nonlocal x\n    x = 1", id="nonlocal_ok_later"),
    pytest.param(
        "def f():\n    x = 1\n    class C:\n        def g(self):\n            nonlocal x",
        id="nonlocal_cls_skip",
    ),
    pytest.param("async def f():\n    [await x for x in y]", id="await_comp_async"),
    pytest.param("def f():\n    (await x for x in y)", id="await_genexp_def"),
    pytest.param("def f():\n    (x async for x in y)", id="async_genexp_def"),
    pytest.param("async def f():\n    [[x async for x in y] for z in w]", id="async_comp_nested"),
    pytest.param("print(*a)", id="star_load2"),
    pytest.param("async def f():\n    yield 1\n    return", id="ret_async_gen_none"),
    pytest.param("'''doc'''\nfrom __future__ import annotations", id="future_doc"),
    pytest.param("try:\n    pass\nexcept* E:\n    for x in y:\n        break", id="exstar_loop_ok"),
    pytest.param("def f():\n    return lambda: 1", id="return_in_lambda_ok"),
    pytest.param(
        "def f():\n    x = 1\n    def g():\n        def h():\n            nonlocal x\n"
        "        nonlocal x",
        id="nonlocal_nested_ok",
    ),
    pytest.param("def f():\n    global x\n    x = 1", id="ann_global_ok"),
    pytest.param(
        "def f():\n    x = 1\n    class C:\n        nonlocal x", id="class_nonlocal_in_func"
    ),
    pytest.param("def f():\n    lambda a=(yield): 1", id="lambda_default_yield"),
    pytest.param("def f():\n    [y for x in z if (y := x)]", id="comp_in_cls_walrus_iter"),
    pytest.param("a[*b]", id="star_in_index"),
    pytest.param("def f():\n    return *a, b", id="star_return"),
    pytest.param("async def f():\n    lambda a=await x: 1", id="await_in_async_lambda_default"),
    pytest.param("def f():\n    async def g(): pass", id="async_gen_in_def_default"),
    pytest.param("(await x for x in y)", id="genexp_await_mod"),
    pytest.param("def f():\n    [(x async for x in y) for z in w]", id="nested_async_def2"),
    pytest.param("class C:\n    (x async for x in y)", id="async_genexp_cls"),
    pytest.param(
        "from __future__ import annotations\nfrom __future__ import division",
        id="future_after_future",
    ),
    pytest.param(
        "'doc'\n# c\nfrom __future__ import annotations", id="future_after_doc_and_comment"
    ),
    pytest.param(
        "def f():\n    def g():\n        print(x)\n    global x", id="global_used_in_nested_ok"
    ),
    pytest.param("def f():\n    global x\n    global x", id="global_twice"),
    pytest.param(
        "def f():\n    [x := 1 for y in z]\n    def g():\n        nonlocal x",
        id="nonlocal_cls_name_in_enclosing_fn_via_comprehension",
    ),
    pytest.param(
        "def f():\n    import x\n    def g():\n        nonlocal x", id="nonlocal_bound_by_import"
    ),
    pytest.param(
        "def f():\n    del x\n    def g():\n        nonlocal x", id="nonlocal_bound_by_del"
    ),
    pytest.param(
        "def f():\n    for x in y: pass\n    def g():\n        nonlocal x",
        id="nonlocal_bound_by_for",
    ),
    pytest.param(
        "def f():\n    try: pass\n    except E as x: pass\n    def g():\n        nonlocal x",
        id="nonlocal_bound_by_except",
    ),
    pytest.param(
        "def f():\n    match a:\n        case x: pass\n    def g():\n        nonlocal x",
        id="nonlocal_bound_by_match",
    ),
    pytest.param(
        "def f():\n    x: int\n    def g():\n        nonlocal x", id="nonlocal_bound_by_annot"
    ),
    pytest.param(
        "def f():\n    def x(): pass\n    def g():\n        nonlocal x", id="nonlocal_bound_by_def"
    ),
    pytest.param(
        "def f():\n    x = 1\n    def g():\n        nonlocal x\n        def h():\n"
        "            nonlocal x",
        id="nonlocal_bound_via_enclosing_nonlocal",
    ),
    pytest.param("lambda x: [1 for y in z]", id="nonlocal_bound_in_lambda"),
    pytest.param("async def f():\n    yield 1", id="yield_in_async_ok"),
    pytest.param("async def f():\n    (await x for x in y)", id="await_in_genexp_in_async"),
    pytest.param(
        "match x:\n    case a if a:\n        pass\n    case 1:\n        pass",
        id="match_guarded_irrefutable_ok",
    ),
    pytest.param("match x:\n    case [a, b] | [b, a]:\n        pass", id="match_or_same_names_ok"),
    pytest.param(
        "match x:\n    case 1:\n        pass\n    case _:\n        pass",
        id="match_irrefutable_last_ok",
    ),
    pytest.param("def f():\n    def g(a=(yield)): pass", id="yield_in_default_of_def_in_func_ok"),
    pytest.param(
        "async def f():\n    def g(a=await x): pass", id="await_in_default_def_in_async_ok"
    ),
]


def _compile_error(src: str) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(ast.parse(src), "<snippet>", "exec")
    except SyntaxError as e:
        return e
    return None


@pytest.mark.parametrize("src", REJECTED)
def test_what_the_compiler_rejects_is_a_parse_error(src):
    expected = _compile_error(src)
    assert expected is not None, "the interpreter accepts it: update the list"
    with pytest.raises(ParseError) as info:
        wb.build_cpg(src, "m.py")
    assert info.value.line == expected.lineno
    assert info.value.col is not None


@pytest.mark.parametrize("src", ACCEPTED)
def test_what_the_compiler_accepts_builds(src):
    assert _compile_error(src) is None
    wb.build_cpg(src, "m.py")


def test_the_error_names_the_rule_and_position():
    with pytest.raises(ParseError) as info:
        wb.build_cpg("def f():\n    x = 1\n    def g():\n        nonlocal y\n", "m.py")
    e = info.value
    assert (e.line, e.col) == (4, 8)
    assert "no binding for nonlocal 'y' found" in str(e)
