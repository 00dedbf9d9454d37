"""How unusual is each model: every grouping of the 22 mainland welfare-region areas into k connected units, counted.

``partitions.optimal_partition`` finds the most even grouping; this module enumerates *all* of them (the same graph:
adjacency = a shared boundary line of positive length on the generalised layer, population 31.12.2024 as integer
weights, one worker per unit) and tells where any grouping stands among them: the number of connected groupings, the
exact distribution of their evenness ratio (largest / smallest unit population), the tied optima, how many lie within
5 % and 15 % of the optimum, and for a given ratio the exact count and share of groupings at least as even.

Method (exact, nothing sampled): each grouping is built once, in canonical order — a unit is the connected set that
contains the lowest-numbered area not yet placed, grown area by area with the areas passed over forbidden in later
branches (the enumeration of ``partitions.best_partition``, without its bound). After each unit the remaining areas
must fall into no more connected components than units are left; when they fall into exactly as many, the
components are the units and the grouping is complete. The loop is compiled with numba (k = 5: 41 million groupings,
k = 6: 160 million; about 10 s and 20 s a pass on one core, two passes each; the first compilation about 10 s, then
loaded from numba's cache beside this file).

Exactness: weights are integers and every comparison is of integers — ratio a/b ≤ p/q as a·q ≤ p·b, ties when equal.
A float threshold r is replaced by the largest fraction p/q ≤ r with q no larger than any unit's weight can be, which
no grouping's ratio can tell apart from r. The distribution is kept as counts in fine bins (1024 per doubling of the
ratio, edges of the form (1 + j/1024)·2^e; a ratio's double-precision value falls in the same bin as the exact one),
the page's bins are unions of them; every grouping with ratio up to ``ladder_cap`` (default 4, beyond every official
model) is kept as its exact (max, min) pair with a count ("the ladder"), so ``at_most(r)`` is a look-up there and one
more counting pass above it. Quantiles are exact order statistics (the smallest ratio with at least p of the
groupings at or below it), found in the fine bins and read exactly in a second pass over the bins that hold them.

Results are cached as JSON under ``config.cache_dir() / "census"``, keyed by the sha256 of the graph's nodes, integer
weights and edges, k, the ladder cap and this file's own sha256 (the code version).
"""

from __future__ import annotations

import base64
import copy
import json
import math
import time
import zlib
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import networkx as nx
import numpy as np

from helpers.base import config
from helpers.base.errors import ValidationError, invalid
from helpers.base.files import atomic_write_text
from helpers.base.hashing import file_sha, sha256_hex

FORMAT = 1
FINE_PER_OCTAVE = 1024  # fine bins per doubling of the ratio
FINE_OCTAVES = 16  # ratios from 1 to 2**16; larger ones share the last bin
N_FINE = FINE_PER_OCTAVE * FINE_OCTAVES
DEFAULT_LADDER_CAP = 4.0
NEAR = (Fraction(105, 100), Fraction(115, 100))  # within 5 % and 15 % of the optimum
QUANTILES = ("0.001", "0.01", "0.05", "0.1", "0.25", "0.5", "0.75", "0.9", "0.95", "0.99", "0.999")
BINS_PER_DECADE = 20
HIST_CAP = 100.0  # the page's bins run on a log scale from 1 to this, then one bin above it
MAX_LISTED = 2000  # near-optimal groupings listed with their parts (all of them are counted)
_INT_LIMIT = 1 << 62

_MEMO: dict[str, Census] = {}  # key -> the census read or computed in this process (callers get copies)
_LADDERS: dict[str, dict] = {}  # key -> the decoded ladder arrays
_COUNTED: dict = {}  # (key, r) -> at_most(r) above the ladder (one counting pass each)


# ---------------------------------------------------------------------------------------------------- the kernel

def _kernel(adj, w, k, key_base, ladder_p, ladder_q, collect_ladder, near_p, near_q, collect_near, select, thr_p, thr_q,
            mod67):  # pragma: no cover - compiled by numba (the tests run it compiled)
    """Every partition of the graph (bitmask adjacency ``adj``, integer weights ``w``) into k connected parts, once.

    Per partition: the count, its fine bin, the best and worst ratio (exact), and optionally its key
    (min·key_base + max) when ratio ≤ ladder_p/ladder_q (the ladder) or when its fine bin is selected, its parts when
    ratio ≤ near_p/near_q × the best so far, and counts of ratio ≤ thr_p[i]/thr_q[i]."""
    n = adj.shape[0]
    one = np.int64(1)
    full = (one << n) - one
    depth_max = n + 1
    S = np.zeros((k, depth_max), np.int64)  # the part being grown, per level and growth depth
    F = np.zeros((k, depth_max), np.int64)  # its frontier still to try
    X = np.zeros((k, depth_max), np.int64)  # areas forbidden (passed over) at this depth
    SW = np.zeros((k, depth_max), np.int64)  # its weight
    depth = np.zeros(k, np.int64)
    R = np.zeros(k, np.int64)  # areas not yet placed when the level started
    MN = np.zeros(k, np.int64)
    MX = np.zeros(k, np.int64)
    comp_m = np.zeros(n + 1, np.int64)
    comp_w = np.zeros(n + 1, np.int64)
    hist = np.zeros(N_FINE, np.int64)
    ladder = np.empty(1024, np.int64)
    n_ladder = 0
    near = np.empty((256, k + 2), np.int64)  # max, min, the k part masks
    n_near = 0
    picked = np.empty(1024, np.int64)
    n_picked = 0
    use_select = select.shape[0] > 0
    n_thr = thr_p.shape[0]
    thr_counts = np.zeros(n_thr, np.int64)
    count = np.int64(0)
    best_mx = np.int64(0)
    best_mn = np.int64(0)  # 0: none yet
    worst_mx = np.int64(0)
    worst_mn = np.int64(1)
    big = one << 62

    L = 0
    R[0] = full
    MN[0] = big
    MX[0] = 0
    v = full & -full
    vi = mod67[v % 67]
    S[0, 0] = v
    F[0, 0] = adj[vi] & full
    X[0, 0] = 0
    SW[0, 0] = w[vi]
    depth[0] = 0
    entered = False
    while True:
        d = depth[L]
        if not entered:
            # visit the part S[L, d]: complete, descend, or give up on what remains
            entered = True
            s = S[L, d]
            rest = R[L] & ~s
            left = k - 1 - L
            if rest == 0:
                continue
            nc = 0
            m = rest
            while m:
                seed = m & -m
                comp = seed
                front = seed
                cw = np.int64(0)
                while front:
                    bit = front & -front
                    front ^= bit
                    bi = mod67[bit % 67]
                    cw += w[bi]
                    new = adj[bi] & m & ~comp
                    comp |= new
                    front |= new
                m &= ~comp
                comp_m[nc] = comp
                comp_w[nc] = cw
                nc += 1
                if nc > left:
                    break
            if nc > left:
                continue
            sw = SW[L, d]
            mn = min(sw, MN[L])
            mx = max(sw, MX[L])
            if nc < left:
                size = 0
                m = rest
                while m:
                    m &= m - 1
                    size += 1
                if size < left:
                    continue
                L += 1
                R[L] = rest
                MN[L] = mn
                MX[L] = mx
                v = rest & -rest
                vi = mod67[v % 67]
                S[L, 0] = v
                F[L, 0] = adj[vi] & rest
                X[L, 0] = 0
                SW[L, 0] = w[vi]
                depth[L] = 0
                entered = False
                continue
            # the components of the rest are the remaining parts: one partition
            for i in range(nc):
                mn = min(mn, comp_w[i])
                mx = max(mx, comp_w[i])
            count += 1
            mant, ex = math.frexp(mx / mn)
            fb = (ex - 1) * FINE_PER_OCTAVE + int((mant * 2.0 - 1.0) * FINE_PER_OCTAVE)
            if fb >= N_FINE:
                fb = N_FINE - 1
            hist[fb] += 1
            key = mn * key_base + mx
            if collect_ladder and mx * ladder_q <= ladder_p * mn:
                if n_ladder == ladder.shape[0]:
                    grown = np.empty(2 * n_ladder, np.int64)
                    grown[:n_ladder] = ladder
                    ladder = grown
                ladder[n_ladder] = key
                n_ladder += 1
            if use_select and select[fb]:
                if n_picked == picked.shape[0]:
                    grown = np.empty(2 * n_picked, np.int64)
                    grown[:n_picked] = picked
                    picked = grown
                picked[n_picked] = key
                n_picked += 1
            for i in range(n_thr):
                if mx * thr_q[i] <= thr_p[i] * mn:
                    thr_counts[i] += 1
            if best_mn == 0 or mx * best_mn < best_mx * mn:
                best_mx = mx
                best_mn = mn
            if mx * worst_mn > worst_mx * mn:
                worst_mx = mx
                worst_mn = mn
            if collect_near and mx * near_q * best_mn <= near_p * best_mx * mn:
                if n_near == near.shape[0]:
                    kept = 0
                    for i in range(n_near):  # drop rows the better best has left behind, then grow if still full
                        if near[i, 0] * near_q * best_mn <= near_p * best_mx * near[i, 1]:
                            near[kept, :] = near[i, :]
                            kept += 1
                    n_near = kept
                    if 2 * n_near > near.shape[0]:
                        grown2 = np.empty((2 * near.shape[0], k + 2), np.int64)
                        grown2[:n_near, :] = near[:n_near, :]
                        near = grown2
                near[n_near, 0] = mx
                near[n_near, 1] = mn
                for lv in range(L + 1):
                    near[n_near, 2 + lv] = S[lv, depth[lv]]
                for i in range(nc):
                    near[n_near, 3 + L + i] = comp_m[i]
                n_near += 1
            continue
        # resume the part S[L, d]: grow it by the next frontier area, or step back
        f = F[L, d]
        if f == 0:
            if d == 0:
                if L == 0:
                    break
                L -= 1
                continue
            depth[L] = d - 1
            continue
        u = f & -f
        f ^= u
        F[L, d] = f
        xo = X[L, d]
        X[L, d] = xo | u
        ui = mod67[u % 67]
        s = S[L, d]
        S[L, d + 1] = s | u
        SW[L, d + 1] = SW[L, d] + w[ui]
        F[L, d + 1] = (f | adj[ui]) & R[L] & ~s & ~u & ~xo
        X[L, d + 1] = xo
        depth[L] = d + 1
        entered = False
    return (count, best_mx, best_mn, worst_mx, worst_mn, hist, ladder[:n_ladder].copy(), near[:n_near, :].copy(),
            picked[:n_picked].copy(), thr_counts)


@lru_cache(maxsize=1)
def _compiled():
    from numba import njit  # here: reading a cached census needs no compiler

    return njit(cache=True, nogil=True)(_kernel)


_MOD67 = np.zeros(67, np.int64)
for _i in range(63):
    _MOD67[(1 << _i) % 67] = _i


@dataclass(frozen=True)
class _Graph:
    nodes: tuple[str, ...]
    members: tuple[tuple[str, ...], ...]
    weights: tuple[int, ...]
    edges: tuple[tuple[str, str], ...]

    @property
    def total(self) -> int:
        return sum(self.weights)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        index = {n: i for i, n in enumerate(self.nodes)}
        adj = [0] * len(self.nodes)
        for a, b in self.edges:
            adj[index[a]] |= 1 << index[b]
            adj[index[b]] |= 1 << index[a]
        return np.array(adj, np.int64), np.array(self.weights, np.int64)

    def parts(self, masks) -> list[tuple[str, ...]]:
        out = []
        for mask in masks:
            mask = int(mask)
            out.append(tuple(sorted(m for i in range(len(self.nodes)) if mask >> i & 1 for m in self.members[i])))
        return sorted(out)


def _as_graph(g: nx.Graph) -> _Graph:
    nodes = sorted(g.nodes, key=str)
    names = [str(n) for n in nodes]
    if len(set(names)) != len(names):
        raise ValidationError("census: node names must stay distinct as text")
    weights = []
    for n in nodes:
        x = g.nodes[n].get("weight")
        if x is None or isinstance(x, bool) or not float(x).is_integer() or x <= 0:
            raise ValidationError(f"census: node {n!r} needs a positive integer weight, has {x!r} (exact comparisons need integers)")
        weights.append(int(x))
    members = tuple(tuple(str(m) for m in g.nodes[n].get("members", (n,))) for n in nodes)
    edges = tuple(sorted(tuple(sorted((str(a), str(b)))) for a, b in g.edges if a != b))
    graph = _Graph(tuple(names), members, tuple(weights), edges)
    if len(nodes) > 62:
        raise ValidationError(f"census: at most 62 nodes (bit masks), the graph has {len(nodes)}")
    if graph.total >= 1 << 31:
        raise ValidationError("census: the weights sum to 2**31 or more; exact int64 products need less")
    return graph


def floor_fraction(x: Fraction, max_den: int) -> Fraction:
    """The largest fraction ≤ x whose denominator is at most ``max_den`` (x itself when its denominator is that small).

    Any ratio a/b with b ≤ max_den is ≤ x exactly when it is ≤ this fraction, which keeps the compiled comparisons in
    small integers."""
    x = Fraction(x)
    if max_den < 1:
        raise invalid("max_den", max_den, "1 or more")
    if x.denominator <= max_den:
        return x
    p0, q0, p1, q1 = 0, 1, 1, 0
    n, d = x.numerator, x.denominator
    while True:
        a = n // d
        q2 = q0 + a * q1
        if q2 > max_den:
            break
        p0, q0, p1, q1 = p1, q1, p0 + a * p1, q2
        n, d = d, n - a * d
    j = (max_den - q0) // q1
    lower = Fraction(p0 + j * p1, q0 + j * q1)
    upper = Fraction(p1, q1)  # x lies between the two neighbours of order max_den
    return lower if lower <= x else upper


def _fraction(r) -> Fraction:
    if isinstance(r, tuple):
        return Fraction(int(r[0]), int(r[1]))
    if isinstance(r, bool) or not isinstance(r, (int, float, Fraction)):
        raise invalid("r", r, "a ratio: float, int, Fraction or (max, min)")
    if isinstance(r, float) and not math.isfinite(r):
        raise invalid("r", r, "a finite ratio")
    return Fraction(r)


def fine_bin(ratio: Fraction | float) -> int:
    """The fine bin of a ratio ≥ 1: (e − 1)·1024 + j for ratio in [(1 + j/1024)·2^(e−1), (1 + (j+1)/1024)·2^(e−1))."""
    m, e = math.frexp(float(ratio))
    return min((e - 1) * FINE_PER_OCTAVE + int((m * 2.0 - 1.0) * FINE_PER_OCTAVE), N_FINE - 1)


def _fine_bins(mx: np.ndarray, mn: np.ndarray) -> np.ndarray:
    """``fine_bin`` of many (max, min) pairs (the same doubles as the compiled loop: one correctly rounded division)."""
    m, e = np.frexp(mx / mn)
    return np.minimum((e.astype(np.int64) - 1) * FINE_PER_OCTAVE + ((m * 2.0 - 1.0) * FINE_PER_OCTAVE).astype(np.int64), N_FINE - 1)


def fine_edge(b: int) -> float:
    """The lower edge of fine bin ``b`` (exact in binary)."""
    return (1.0 + (b % FINE_PER_OCTAVE) / FINE_PER_OCTAVE) * 2.0 ** (b // FINE_PER_OCTAVE)


def _run(graph: _Graph, k: int, *, ladder: Fraction | None = None, near: Fraction | None = None, select=None, thresholds=()):
    adj, w = graph.arrays()
    max_den = max(1, graph.total // k)  # no unit of the smallest weight weighs more than W/k
    lp, lq = (ladder.numerator, ladder.denominator) if ladder is not None else (0, 1)
    np_, nq = (near.numerator, near.denominator) if near is not None else (0, 1)
    thr = [floor_fraction(t, max_den) for t in thresholds]
    total = graph.total
    for p, q in [(lp, lq), *((t.numerator, t.denominator) for t in thr)]:
        if total * max(p, q) >= _INT_LIMIT:
            raise ValidationError(f"census: threshold {p}/{q} too large for exact int64 comparisons")
    if total * total * max(np_, nq) >= _INT_LIMIT:
        raise ValidationError("census: weights too large for the exact near-optimum comparison")
    sel = np.zeros(0, np.bool_) if select is None else np.asarray(select, np.bool_)
    out = _compiled()(adj, w, np.int64(k), np.int64(total + 1), np.int64(lp), np.int64(lq), ladder is not None,
                      np.int64(np_), np.int64(nq), near is not None, sel,
                      np.array([t.numerator for t in thr], np.int64), np.array([t.denominator for t in thr], np.int64), _MOD67)
    count, best_mx, best_mn, worst_mx, worst_mn, hist, ladder_keys, near_rows, picked, thr_counts = out
    return {"count": int(count), "best": (int(best_mx), int(best_mn)) if best_mn else None,
            "worst": (int(worst_mx), int(worst_mn)) if best_mn else None, "hist": hist, "ladder": ladder_keys,
            "near": near_rows, "picked": picked, "thresholds": [int(c) for c in thr_counts]}


def _pairs(keys: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (max, min) pairs of the keys (min·base + max) with their counts, in exact order of ratio."""
    uniq, counts = np.unique(np.asarray(keys, np.int64), return_counts=True)
    mn, mx = uniq // base, uniq % base
    order = np.argsort(mx / mn, kind="stable")
    mn, mx, counts = mn[order], mx[order], counts[order]
    f = mx / mn
    idx = np.arange(len(f))
    for i in np.flatnonzero(f[1:] == f[:-1]):  # runs of equal doubles (different fractions may round alike)
        if i == 0 or f[i - 1] != f[i]:  # the start of a run: order it exactly
            end = i + 1
            while end + 1 < len(f) and f[end + 1] == f[i]:
                end += 1
            idx[i:end + 1] = sorted(range(i, end + 1), key=lambda j: Fraction(int(mx[j]), int(mn[j])))
    return mx[idx].astype(np.int64), mn[idx].astype(np.int64), counts[idx].astype(np.int64)


def _count_at_most(mx: np.ndarray, mn: np.ndarray, counts: np.ndarray, r: Fraction) -> int:
    """Groupings with ratio ≤ r among exact-ordered (max, min) pairs."""
    f = mx / mn
    x = float(r)
    lo, hi = int(np.searchsorted(f, x, "left")), int(np.searchsorted(f, x, "right"))
    # double rounding is monotone: below x's double is ≤ r, above it is > r; equal ones are decided exactly
    extra = sum(int(counts[i]) for i in range(lo, hi) if Fraction(int(mx[i]), int(mn[i])) <= r)
    return int(counts[:lo].sum()) + extra


def _encode(a: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(np.ascontiguousarray(a, "<i8").tobytes(), 6)).decode("ascii")


def _decode(s: str) -> np.ndarray:
    return np.frombuffer(zlib.decompress(base64.b64decode(s)), "<i8").astype(np.int64)


# ---------------------------------------------------------------------------------------------------- the result

@dataclass
class Census:
    """Every grouping of a graph into k connected parts, summarised exactly (see the module docstring).

    ``optima``, ``near`` and ``quantiles`` hold ratios both as floats and as the exact (max, min) weights."""
    key: str
    k: int
    nodes: list[str]
    members: list[list[str]]
    weights: list[int]
    edges: list[list[str]]
    count: int
    optimum: dict | None  # {"max", "min", "ratio"}
    worst: dict | None
    optima: list[dict]  # every tied optimum: {"parts", "weights", "ratio"}
    within: list[dict]  # {"factor", "limit", "count", "share"} for 1.05 and 1.15 × the optimum
    near: list[dict]  # groupings within 5 % of the optimum (ratio order; at most MAX_LISTED listed)
    quantiles: list[dict]  # {"p", "rank", "ratio", "max", "min"}
    bins: list[dict]  # {"lo", "hi", "count", "cumulative"}: log scale to HIST_CAP, then one open bin
    ladder_cap: float
    ladder: dict  # {"max", "min", "count"}: arrays of every distinct pair with ratio ≤ ladder_cap, exact order
    seconds: float

    # -- exact counts
    def at_most(self, r) -> int:
        """The exact number of groupings whose ratio is ≤ r (r: float, Fraction or the (max, min) weights of a unit
        grouping; "at least as even as r"). From the stored ladder up to ``ladder_cap``; above it one compiled
        counting pass over every grouping (seconds; remembered for this object)."""
        r = _fraction(r)
        if self.count == 0 or r < Fraction(self.optimum["max"], self.optimum["min"]):
            return 0
        if r >= Fraction(self.worst["max"], self.worst["min"]):
            return self.count
        if r <= Fraction(self.ladder_cap):
            lad = self.ladder_arrays()
            return _count_at_most(lad["max"], lad["min"], lad["count"], r)
        if (self.key, r) not in _COUNTED:
            _COUNTED[self.key, r] = _run(self._graph(), self.k, thresholds=(r,))["thresholds"][0]
        return _COUNTED[self.key, r]

    def share_at_most(self, r) -> float:
        """``at_most(r)`` as a share of all groupings."""
        return self.at_most(r) / self.count if self.count else float("nan")

    def ladder_arrays(self) -> dict[str, np.ndarray]:
        """Every distinct (max, min) pair with ratio ≤ ``ladder_cap`` and its number of groupings, in exact ratio order."""
        if self.key not in _LADDERS:
            arrays = {name: _decode(self.ladder[name]) for name in ("max", "min", "count")}
            for a in arrays.values():
                a.flags.writeable = False  # shared by every copy of this census
            _LADDERS[self.key] = arrays
        return _LADDERS[self.key]

    def _graph(self) -> _Graph:
        return _Graph(tuple(self.nodes), tuple(tuple(m) for m in self.members), tuple(self.weights),
                      tuple(tuple(e) for e in self.edges))

    def bins_table(self):
        """The page's histogram as a table: lo, hi (None: open), count, share, cumulative share (ratio < hi)."""
        import pandas as pd

        t = pd.DataFrame(self.bins)
        t["share"] = t["count"] / self.count if self.count else float("nan")
        t["cumulative_share"] = t["cumulative"] / self.count if self.count else float("nan")
        return t

    def to_json(self) -> str:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return json.dumps({"format": FORMAT, **data}, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Census:
        data = json.loads(text)
        if data.pop("format", None) != FORMAT:
            raise ValidationError("census: cache entry of another format")
        return cls(**data)


# ---------------------------------------------------------------------------------------------------- computing

@lru_cache(maxsize=1)
def _code_version() -> str:
    """sha256 of this file as loaded (read once: an edit during a run does not change the keys of that run)."""
    return file_sha(Path(__file__)) or "unknown"


def census_key(g: nx.Graph, k: int, ladder_cap: float = DEFAULT_LADDER_CAP) -> str:
    """sha256 of what a census depends on: nodes, members, integer weights, edges, k, the ladder cap, the code."""
    return _key(_as_graph(g), k, ladder_cap)


def _key(graph: _Graph, k: int, ladder_cap: float) -> str:
    payload = {"format": FORMAT, "code": _code_version(), "k": k, "ladder_cap": float(ladder_cap), "nodes": graph.nodes,
               "members": graph.members, "weights": graph.weights, "edges": graph.edges, "quantiles": QUANTILES,
               "bins": [BINS_PER_DECADE, HIST_CAP], "near": [str(f) for f in NEAR]}
    return sha256_hex(json.dumps(payload, sort_keys=True).encode())


def _cache_path(key: str) -> Path:
    return config.cache_dir() / "census" / f"{key}.json"


def _check_k(graph: _Graph, k) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= len(graph.nodes):
        raise invalid("k", k, range(2, len(graph.nodes) + 1))


def _page_edges() -> list[int]:
    """Fine-bin indices of the page's bin edges: nearest to 10^(i/BINS_PER_DECADE), from 1 to HIST_CAP."""
    out = []
    steps = round(math.log10(HIST_CAP) * BINS_PER_DECADE)
    for i in range(steps + 1):
        t = 10 ** (i / BINS_PER_DECADE)
        b = fine_bin(t)
        if b + 1 < N_FINE and abs(fine_edge(b + 1) - t) < abs(t - fine_edge(b)):
            b += 1
        if not out or b > out[-1]:
            out.append(b)
    return out


def _compute(graph: _Graph, k: int, ladder_cap: float, key: str) -> Census:
    start = time.perf_counter()
    max_den = max(1, graph.total // k)
    ladder = floor_fraction(Fraction(ladder_cap), max_den)
    first = _run(graph, k, ladder=ladder, near=max(NEAR))
    n = first["count"]
    base = graph.total + 1
    if n == 0:
        empty = {name: _encode(np.zeros(0, np.int64)) for name in ("max", "min", "count")}
        return Census(key, k, list(graph.nodes), [list(m) for m in graph.members], list(graph.weights),
                      [list(e) for e in graph.edges], 0, None, None, [], [], [], [], [], float(ladder_cap), empty,
                      time.perf_counter() - start)
    lad_mx, lad_mn, lad_n = _pairs(first["ladder"], base)
    best_mx, best_mn = first["best"]
    best = Fraction(best_mx, best_mn)

    # near-optimal groupings (exact): ties, within 5 % and 15 %
    near_rows = [(Fraction(int(row[0]), int(row[1])), row) for row in first["near"]]
    near_rows = sorted(((r, row) for r, row in near_rows if r <= max(NEAR) * best), key=lambda t: (t[0], graph.parts(t[1][2:])))
    index = {m: i for i, ms in enumerate(graph.members) for m in ms}

    def grouping(ratio: Fraction, row) -> dict:
        parts = graph.parts(row[2:])
        weights = [sum(graph.weights[i] for i in sorted({index[m] for m in part})) for part in parts]
        return {"parts": [list(p) for p in parts], "weights": weights, "ratio": float(ratio),
                "max": int(row[0]), "min": int(row[1])}

    optima = [grouping(r, row) for r, row in near_rows if r == best]
    within = []
    for factor in NEAR:
        c = sum(1 for r, _ in near_rows if r <= factor * best)
        within.append({"factor": str(factor.numerator / factor.denominator), "limit": float(factor * best), "count": c,
                       "share": c / n})
    near = [grouping(r, row) for r, row in near_rows if r <= min(NEAR) * best][:MAX_LISTED]

    # exact quantiles: the fine bin of each rank, read from the ladder or from a second pass over those bins
    hist = first["hist"]
    cum = np.cumsum(hist)
    lad_cum = np.cumsum(lad_n)
    wanted = [(p, max(1, math.ceil(Fraction(p) * n))) for p in QUANTILES]  # the smallest ratio with ≥ p of all at or below
    quantiles: dict[str, dict] = {}
    pending = []
    for p, rank in wanted:
        if len(lad_cum) and rank <= lad_cum[-1]:
            i = int(np.searchsorted(lad_cum, rank, "left"))
            quantiles[p] = {"p": p, "rank": rank, "max": int(lad_mx[i]), "min": int(lad_mn[i])}
        else:
            pending.append((p, rank, int(np.searchsorted(cum, rank, "left"))))
    if pending:
        select = np.zeros(N_FINE, np.bool_)
        for _, _, b in pending:
            select[b] = True
        second = _run(graph, k, select=select)
        keys = second["picked"]
        for p, rank, b in pending:
            before = int(cum[b - 1]) if b else 0
            mx_b, mn_b, n_b = _pairs(keys[_fine_bins(keys % base, keys // base) == b], base)
            i = int(np.searchsorted(np.cumsum(n_b), rank - before, "left"))
            quantiles[p] = {"p": p, "rank": rank, "max": int(mx_b[i]), "min": int(mn_b[i])}
    qlist = []
    for p, _ in wanted:
        q = quantiles[p]
        q["ratio"] = q["max"] / q["min"]
        qlist.append(q)

    # the page's bins: unions of fine bins, log scale to HIST_CAP, then one open bin
    edges = _page_edges()
    bins = []
    running = 0
    for lo_b, hi_b in zip(edges, [*edges[1:], N_FINE]):
        c = int(hist[lo_b:hi_b].sum())
        running += c
        bins.append({"lo": fine_edge(lo_b), "hi": fine_edge(hi_b) if hi_b < N_FINE else None, "count": c, "cumulative": running})
    below = int(hist[:edges[0]].sum())  # ratios below 1 cannot occur
    if below:
        raise ValidationError("census: a ratio below 1")

    worst_mx, worst_mn = first["worst"]
    return Census(
        key=key, k=k, nodes=list(graph.nodes), members=[list(m) for m in graph.members], weights=list(graph.weights),
        edges=[list(e) for e in graph.edges], count=n,
        optimum={"max": best_mx, "min": best_mn, "ratio": best_mx / best_mn},
        worst={"max": worst_mx, "min": worst_mn, "ratio": worst_mx / worst_mn},
        optima=optima, within=within, near=near, quantiles=qlist, bins=bins, ladder_cap=float(ladder_cap),
        ladder={"max": _encode(lad_mx), "min": _encode(lad_mn), "count": _encode(lad_n)},
        seconds=time.perf_counter() - start,
    )


def census_of_graph(g: nx.Graph, k: int, *, ladder_cap: float = DEFAULT_LADDER_CAP, refresh: bool = False) -> Census:
    """The census of any graph with positive integer node attribute ``weight`` (and optional ``members``) into k
    connected parts: computed once, then read from the cache (``refresh=True`` computes again and rewrites it)."""
    graph = _as_graph(g)
    _check_k(graph, k)
    if not (isinstance(ladder_cap, (int, float)) and math.isfinite(ladder_cap) and ladder_cap >= 1):
        raise invalid("ladder_cap", ladder_cap, "a finite ratio ≥ 1")
    key = _key(graph, k, ladder_cap)
    if not refresh:
        found = _read(key)
        if found is not None:
            return found
    result = _compute(graph, k, ladder_cap, key)
    atomic_write_text(_cache_path(key), result.to_json())
    _MEMO[key] = result
    return copy.deepcopy(result)


def cached_census_of_graph(g: nx.Graph, k: int, *, ladder_cap: float = DEFAULT_LADDER_CAP) -> Census | None:
    """The cached census of the graph, or None when it has not been computed (never computes)."""
    graph = _as_graph(g)
    _check_k(graph, k)
    return _read(_key(graph, k, ladder_cap))


def _read(key: str) -> Census | None:
    if key in _MEMO:
        return copy.deepcopy(_MEMO[key])  # a caller's change does not reach the next answer
    path = _cache_path(key)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        result = Census.from_json(text)
    except (ValueError, TypeError, ValidationError):
        return None  # a damaged or older entry: computed again
    if result.key != key:
        return None
    _MEMO[key] = result
    return copy.deepcopy(result)


# ---------------------------------------------------------------------------------------------------- the real graph

def population_graph(year: int = 2025) -> nx.Graph:
    """The optimisation's graph (``partitions.weighted_graph("population")``): 22 areas, integer population weights."""
    from helpers.models import partitions

    return partitions.weighted_graph("population", "maakunta_graph", year)


def census(k: int, year: int = 2025, *, refresh: bool = False) -> Census:
    """Every grouping of the 22 mainland welfare-region areas into k connected units by population (computed once per
    input — k = 5 about 20–30 s, k = 6 about 40 s on one core — then read from the cache in milliseconds)."""
    return census_of_graph(population_graph(year), k, refresh=refresh)


def cached_census(k: int, year: int = 2025) -> Census | None:
    """``census(k, year)`` if it is cached, else None (for a page that must not start a computation)."""
    return cached_census_of_graph(population_graph(year), k)


OFFICIAL_K = {"malli_5_1_yta": 5, "rakenne_2021": 6}


def grouping_ratio(c: Census, parts) -> tuple[int, int] | None:
    """(max, min) weight of a grouping of member codes on the census's graph, None when it is not a partition of the
    graph's nodes into k connected parts."""
    index = {m: i for i, ms in enumerate(c.members) for m in ms}
    g = nx.Graph()
    g.add_nodes_from(range(len(c.nodes)))
    g.add_edges_from((c.nodes.index(a), c.nodes.index(b)) for a, b in c.edges)
    seen: set[int] = set()
    weights = []
    if len(parts) != c.k:
        return None
    for part in parts:
        if any(m not in index for m in part):
            return None
        nodes = {index[m] for m in part}
        if nodes & seen or any(not set(c.members[i]) <= set(part) for i in nodes) or not nx.is_connected(g.subgraph(nodes)):
            return None
        seen |= nodes
        weights.append(sum(c.weights[i] for i in sorted(nodes)))
    if len(seen) != len(c.nodes):
        return None
    return max(weights), min(weights)


def official_comparison(year: int = 2025, *, compute: bool = True) -> list[dict]:
    """Each official model made of whole welfare regions beside the census of its k: its ratio (exact max and min), the
    number and share of groupings at least as even (ratio ≤ its ratio, itself included) and the optimum. With
    ``compute=False`` a model whose census is not cached is left out."""
    from helpers.models import partitions

    out = []
    for model, parts in partitions.official_groupings(year).items():
        k = OFFICIAL_K.get(model, len(parts))
        c = census(k, year) if compute else cached_census(k, year)
        if c is None:
            continue
        pair = grouping_ratio(c, parts)
        if pair is None:
            raise ValidationError(f"census: {model} is not a grouping of the graph into {k} connected units")
        at_most = c.at_most(pair)
        out.append({"model": model, "k": k, "parts": [list(p) for p in parts], "max": pair[0], "min": pair[1],
                    "ratio": pair[0] / pair[1], "at_least_as_even": at_most, "share": at_most / c.count, "count": c.count,
                    "optimum": c.optimum["ratio"], "times_optimum": (pair[0] / pair[1]) / c.optimum["ratio"]})
    return out


def optimum_distances(c: Census, year: int = 2025) -> list[dict]:
    """The longest straight-line distance inside each unit of each tied optimum (km, generalised municipal
    boundaries: the scorecard's ``longest_distance_km`` of ``partitions.as_model`` of the optimum). Reads the
    municipal boundary layer, so it is left to the caller (a page that has the layers) rather than cached here."""
    from helpers.models import partitions, scorecard

    out = []
    for opt in c.optima:
        p = partitions.Partition("population", "population", c.k, [tuple(x) for x in opt["parts"]],
                                 [float(x) for x in opt["weights"]], opt["ratio"])
        card = scorecard.scorecard([], year, allocations=[], references=[partitions.as_model(p, year)])
        rows = card[(card["metric"] == "longest_distance_km") & (card["scope"] == "unit")]
        distances = dict(zip(rows["unit_code"], rows["value"]))
        units = [{"parts": list(part), "weight": weight, "longest_distance_km": distances[f"alue_{i}"]}
                 for i, (part, weight) in enumerate(zip(opt["parts"], opt["weights"]), start=1)]
        out.append({"parts": opt["parts"], "ratio": opt["ratio"], "units": units,
                    "longest_distance_km": max(u["longest_distance_km"] for u in units)})
    return out
