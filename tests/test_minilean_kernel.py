"""Property tests aimed at minilean's trusted core: substitution, scoped unification and the rules keep goals well-formed."""
from fractions import Fraction

from hypothesis import given, settings, strategies as st

from segatp.minilean.kernel import (Hyp, IllFormed, Meta, MGoal, add_hyp, and_intro, apply_fact, by_cases, check_goal,
                                    cut, exists_intro, intro, match_pattern, nat_cases, or_intro, rewrite, type_of)
from segatp.minilean.syntax import Bind, Num, Op, Var, free_vars, normalize, subst
from segatp.minilean.kernel import TacticError

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True)
NAMES = ("x", "y", "z")


def terms(ty: str, names=NAMES, depth: int = 2):
    """Well-typed arithmetic terms of type `ty` over variables `names` (all of type `ty`)."""
    leaf = st.one_of(st.sampled_from([Var(n, ty) for n in names]), st.integers(0, 5).map(lambda v: Num(v, ty)))
    if depth == 0: return leaf
    sub = terms(ty, names, depth - 1)
    return st.one_of(leaf, st.tuples(st.sampled_from(["+", "*", "-"]), sub, sub).map(lambda t: Op(t[0], (t[1], t[2]), ty)))


def props(ty: str, names=NAMES, depth: int = 2):
    """Well-typed propositions over `names`, with binders that may reuse (shadow) those names."""
    t = terms(ty, names)
    atom = st.tuples(st.sampled_from(["=", "<", "≤", "≠"]), t, t).map(lambda a: Op(a[0], (a[1], a[2]), "Prop"))
    if depth == 0: return atom
    sub = props(ty, names, depth - 1)
    conn = st.tuples(st.sampled_from(["∧", "∨", "→"]), sub, sub).map(lambda a: Op(a[0], (a[1], a[2]), "Prop"))
    bind = st.tuples(st.sampled_from(["∀", "∃"]), st.sampled_from(names), sub).map(lambda a: Bind(a[0], a[1], ty, a[2]))
    return st.one_of(atom, conn, bind)


CTX = {n: "ℤ" for n in NAMES}


def eval_qf(e, env):
    """The truth or value of a quantifier-free term under `env` (an independent evaluator, ℤ semantics)."""
    if isinstance(e, Var): return env[e.name]
    if isinstance(e, Num): return e.value
    a = [eval_qf(x, env) for x in e.args]
    return {"+": lambda: a[0] + a[1], "*": lambda: a[0] * a[1], "-": lambda: a[0] - a[1], "=": lambda: a[0] == a[1],
            "<": lambda: a[0] < a[1], "≤": lambda: a[0] <= a[1], "≠": lambda: a[0] != a[1], "∧": lambda: a[0] and a[1],
            "∨": lambda: a[0] or a[1], "→": lambda: (not a[0]) or a[1]}[e.op]()


@SETTINGS
@given(props("ℤ", depth=2))
def test_generated_props_are_well_typed(p):
    assert type_of(p, CTX) == "Prop"


@SETTINGS
@given(props("ℤ", depth=0), terms("ℤ"), st.sampled_from(NAMES), st.tuples(*[st.integers(-3, 3)] * 3))
def test_subst_agrees_with_evaluation(p, t, x, vals):
    """Substituting `t` for `x` then evaluating is evaluating with `x` set to `t`'s value."""
    env = dict(zip(NAMES, vals))
    assert eval_qf(subst(p, {x: t}), env) == eval_qf(p, {**env, x: eval_qf(t, env)})


@SETTINGS
@given(props("ℤ"), terms("ℤ"), st.sampled_from(NAMES))
def test_subst_never_captures(p, t, x):
    """After substitution every free variable of `t` is still free (no binder captured it) and the result type-checks."""
    q = subst(p, {x: t})
    assert type_of(q, CTX) == "Prop"
    if x in free_vars(p): assert free_vars(t) <= free_vars(q)
    assert free_vars(q) <= (free_vars(p) - {x}) | free_vars(t)


@SETTINGS
@given(props("ℤ"), props("ℤ"), st.sets(st.sampled_from(NAMES)))
def test_match_is_sound_and_scoped(pat_src, term, scope):
    """A match instantiates the pattern to exactly the term, with terms of the right type made of in-scope variables."""
    metas = {f"?{n}": Meta("ℤ", frozenset(scope)) for n in NAMES}
    pat = subst(pat_src, {n: Var(f"?{n}", "ℤ") for n in NAMES})
    sub = match_pattern(pat, term, metas)
    if sub is None: return
    assert normalize(subst(pat, sub)) == normalize(term)  # equal up to the names of bound variables
    for v, t in sub.items():
        assert t.ty == "ℤ" and free_vars(t) <= scope


@SETTINGS
@given(props("ℤ"), st.sets(st.sampled_from(NAMES)))
def test_a_term_matches_its_own_pattern_when_in_scope(p, scope):
    """Completeness of first-order matching on closed-over instances: `p` matches `p` with every meta mapped to itself."""
    metas = {f"?{n}": Meta("ℤ", frozenset(NAMES)) for n in NAMES}
    pat = subst(p, {n: Var(f"?{n}", "ℤ") for n in NAMES})
    sub = match_pattern(pat, p, metas)
    assert sub is not None and normalize(subst(pat, sub)) == normalize(p)


def goal_of(hyps, target):
    return MGoal(tuple([Hyp(n, "ℤ") for n in NAMES] + [Hyp(f"h{i}", h) for i, h in enumerate(hyps)]), target)


RULES = ["intro", "and", "or0", "or1", "exists", "cut", "cases", "apply", "rewrite", "add"]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(props("ℤ", depth=1), max_size=3), props("ℤ"), st.lists(st.tuples(st.sampled_from(RULES), st.sampled_from(NAMES), terms("ℤ", depth=1), props("ℤ", depth=1)), max_size=6))
def test_rules_keep_goals_well_formed(hyps, target, steps):
    """Whatever sequence of kernel rules is applied, every goal they produce passes `check_goal`."""
    goals = [check_goal(goal_of(hyps, target))]
    for rule, name, t, p in steps:
        if not goals: break
        g, rest = goals[0], goals[1:]
        try:
            if rule == "intro": new = [intro(g, name)]
            elif rule == "and": new = and_intro(g)
            elif rule in ("or0", "or1"): new = [or_intro(g, int(rule[-1]))]
            elif rule == "exists": new = [exists_intro(g, t)]
            elif rule == "cut": new = cut(g, name + "h", p)
            elif rule == "cases": new = by_cases(g, "hc", p)
            elif rule == "apply": new = apply_fact(g, g.hyps[-1].ty) if not g.hyps[-1].is_var else [g]
            elif rule == "rewrite": new = [rewrite(g, Op("=", (Var(name, "ℤ"), t), "Prop"), False, "⊢")]
            else: new = [add_hyp(g, name, "ℤ")]
        except TacticError:
            continue
        for x in new: check_goal(x)
        goals = new + rest


def test_nat_induction_goals_are_well_formed():
    n = {"n": "ℕ", "m": "ℕ"}
    from segatp.minilean.syntax import parse_prop
    g = MGoal((Hyp("n", "ℕ"), Hyp("m", "ℕ"), Hyp("h", parse_prop("m < n", n))), parse_prop("∀ k : ℕ, k + n > m", n))
    for ih in (None, "ih"):
        for k in ("k", "m", "n"):
            for x in nat_cases(g, "n", k, ih): check_goal(x)


def test_check_goal_rejects_out_of_scope_and_ill_typed():
    x = Var("x", "ℤ")
    for bad in (MGoal((), Op("=", (x, x), "Prop")),
                MGoal((Hyp("x", "ℝ"),), Op("=", (x, x), "Prop")),
                MGoal((Hyp("h", Op("=", (x, x), "Prop")), Hyp("x", "ℤ")), Op("=", (x, x), "Prop")),
                MGoal((Hyp("x", "ℤ"),), Op("+", (x, x), "ℤ")),
                MGoal((Hyp("x", "ℤ"),), Op("%", (Num(Fraction(1, 2), "ℝ"), Num(1, "ℝ")), "ℝ"))):
        try:
            check_goal(bad)
        except IllFormed:
            continue
        raise AssertionError(f"accepted {bad}")
