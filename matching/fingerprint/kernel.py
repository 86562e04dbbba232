"""The comparison of ``matcher`` compiled: its steps as loops, in one call.

In NumPy a comparison is some ninety calls on small arrays (a few dozen cylinders, a
dozen seed pairs, three alignments), and their fixed cost, not their arithmetic, is most
of its time. Compiled by numba, all that lies between and after the three matrix
products runs as loops: the local similarities, the Hungarian assignment, the
relaxation, the global alignment check of every seed and the ridge flows. Loops may also
skip what NumPy computes for every element and then discards: a pair of minutiae whose
distances or directions disagree so far that its relaxation weight is below e^-70 gets 0
without its arctangent and exponentials, and only the A minutiae in B's minutia's stretch
of y are tested for being within its reach.

``matcher`` keeps the NumPy steps as the reference, and the scores are theirs (within
1e-15 in practice; ``tests/test_kernel.py`` holds them within 1e-6). That takes care,
because the reference decides some things by its rounding:

- the three matrix products (``matcher.cylinder_products``) are NumPy's, and the local
  similarities are made from them in float32, operation for operation, so they are the
  same bit for bit: summed in another order, two near-identical cylinders' similarity
  moved by 4e-5, and a near-degenerate assignment took other pairs;
- the assignment follows SciPy's ``linear_sum_assignment`` (Crouse's shortest augmenting
  path, as SciPy writes it) step for step, so ties go the same way;
- pairs that no other supports keep exactly W_R^N_REL of their similarity, and which of
  such equals LSS-R takes is the order NumPy's sort leaves them in: where LSS-R's pairs
  hold such a tie (one comparison in a hundred or fewer), NumPy ranks them
  (``matcher.efficiency_order``) and the kernel is called again with that ranking;
- a decision whose two sides the kernel cannot tell apart from the reference's rounding
  (a minutia exactly at its reach, as whole-pixel coordinates make common, two
  efficiencies a rounding apart, a point midway between two flow grid points) is flagged,
  and ``matcher`` then scores that comparison by the reference: 0.6–4.4 % of the
  comparisons of the ten FVC sets, 2.2 % of all.

The tuned constants reach the compiled code as an argument (``SETTINGS``), not as
globals: numba's on-disk cache (``cache=True``: in ``__pycache__`` beside this file, so
that a machine compiles once, in ten to twenty seconds, and every process after it, the
``spawn`` workers included, loads the result in a fraction of a second) is keyed on this
file alone, and would keep a constant that ``parameters`` has since changed.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .alignment import COS_MAX_ANGLE
from .cylinder import Cylinders
from .parameters import (
    ALIGNMENT_MIN_COUNT,
    ALIGNMENT_OUTLINE_MARGIN,
    ALIGNMENT_RADIUS,
    ALIGNMENT_RADIUS_GROWTH,
    FLOW_FADE_HIGH,
    FLOW_FADE_LOW,
    FLOW_POWER,
    FLOW_REACH,
    FLOW_SEEDS,
    MAX_DIRECTION_DIFF,
    MIN_COMMON_CELLS,
    MU_1,
    MU_2,
    N_REL,
    ND,
    SUPPORT_PAIRS,
    TAU_1,
    TAU_2,
    W_ALIGNMENT,
    W_R,
)
from .ridge_flow import STEP

# The numbers below tune nothing (they leave every score as the reference's) and so stay here
# rather than in ``parameters``.

# a relaxation weight below e^-NEGLIGIBLE is 0: at most 4e-31 of a pair's similarity, it cannot
# change a float64 sum of the similarities it is added to
NEGLIGIBLE = 70.0

# How close to its threshold a decision must come for the reference's rounding, not ours, to
# decide it: squared distances in px² (the reference's come from a product of lifted coordinates,
# exact to about 1e-9 px²), positions against an outline's edge or between grid points, cosines,
# and relative differences of the efficiencies ranked (the same sums, in another order, differed
# by at most 1.5e-15 over 2,100 FVC comparisons)
CLOSE_DISTANCE2 = 1e-6
CLOSE_EDGE = 1e-9
CLOSE_COSINE = 1e-12
CLOSE_SHARE = 1e-13
# a pair whose support from the others lies within this band of its own weight may or may not
# be absorbed by its sum's rounding, depending on the order of the sum: below 2^-54 it always
# is, above about 1e-15 never
FRAGILE_SUPPORT = (1e-17, 1e-14)
BUCKET = 4.0  # px of y: the alignment check looks for a point's partners among A's minutiae bucket by bucket

# The settings vector: positions and the constants they hold
(_SECTIONS, _MIN_COMMON, _MIN_COS, _MU_1, _TAU_1, _MU_2, _TAU_2, _W_R, _N_REL, _SUPPORT, _W_ALIGN, _RADIUS,
 _GROWTH, _COS_ANGLE, _MIN_COUNT, _MARGIN, _FLOW_SEEDS, _REACH, _FADE_LOW, _FADE_HIGH, _POWER, _STEP) = range(22)
SETTINGS = np.array([
    ND,
    MIN_COMMON_CELLS,
    np.cos(MAX_DIRECTION_DIFF) - 1e-9,  # the direction gate as ``matcher.local_similarity`` writes it
    MU_1, TAU_1, MU_2, TAU_2, W_R, N_REL, SUPPORT_PAIRS, W_ALIGNMENT,
    ALIGNMENT_RADIUS, ALIGNMENT_RADIUS_GROWTH, COS_MAX_ANGLE, ALIGNMENT_MIN_COUNT, ALIGNMENT_OUTLINE_MARGIN,
    FLOW_SEEDS, FLOW_REACH, FLOW_FADE_LOW, FLOW_FADE_HIGH, FLOW_POWER, STEP,
], np.float64)

TWO_PI = 2 * math.pi


# --- local similarity and consolidation ---------------------------------------------------------

@numba.njit(cache=True)
def local_similarity(ew, bb, ab, headings_a, headings_b, settings):
    """``matcher.local_similarity`` from its three products (``matcher.cylinder_products``),
    in float32 operation for operation: the same matrix, bit for bit. Also whether a
    direction gate came within rounding of its threshold."""
    ka, kb = ab.shape
    close = False
    sections = np.float32(settings[_SECTIONS])
    min_common, min_cos = settings[_MIN_COMMON], settings[_MIN_COS]
    zero, one, two, tiny = np.float32(0), np.float32(1), np.float32(2), np.float32(1e-30)
    hx, hy = headings_b[:, 0].copy(), headings_b[:, 1].copy()
    sim = np.empty((ka, kb), np.float32)
    for i in range(ka):
        h0, h1 = headings_a[i, 0], headings_a[i, 1]
        # every pair computed and the gated ones then zeroed, as the reference does: without
        # branches the loop runs on vectors
        for j in range(kb):
            comparable = ew[ka + i, j] * sections >= min_common
            turned = h0 * hx[j] + h1 * hy[j]
            close |= comparable & (abs(turned - min_cos) <= CLOSE_COSINE)
            aa, bb_ij, ab_ij = ew[i, j], bb[i, j], ab[i, j]
            denom = np.sqrt(aa) + np.sqrt(bb_ij)
            dist = np.sqrt(max(aa + bb_ij - two * ab_ij, zero))
            value = one - dist / max(denom, tiny)
            sim[i, j] = value if comparable & (turned >= min_cos) else zero
    return sim, close


@numba.njit(cache=True)
def assignment(sim):
    """The column paired with each row (-1 for none) by maximum-weight assignment.

    SciPy's ``linear_sum_assignment(sim, maximize=True)`` step for step (the shortest
    augmenting path of Crouse, 2016, as SciPy implements it), so that ties go the same way.
    """
    rows0, cols0 = sim.shape
    transpose = cols0 < rows0
    nr, nc = (cols0, rows0) if transpose else (rows0, cols0)
    cost = np.empty((nr, nc))
    for i in range(nr):
        for j in range(nc):
            cost[i, j] = -np.float64(sim[j, i] if transpose else sim[i, j])
    u = np.zeros(nr)
    v = np.zeros(nc)
    shortest = np.empty(nc)
    path = np.full(nc, -1, np.int64)
    col4row = np.full(nr, -1, np.int64)
    row4col = np.full(nc, -1, np.int64)
    in_rows = np.zeros(nr, np.bool_)
    in_cols = np.zeros(nc, np.bool_)
    remaining = np.empty(nc, np.int64)
    for current in range(nr):
        min_val = 0.0
        left = nc
        for it in range(nc):
            remaining[it] = nc - it - 1  # reversed, as SciPy fills it
        in_rows[:] = False
        in_cols[:] = False
        shortest[:] = np.inf
        sink = -1
        i = current
        while sink == -1:
            index = -1
            lowest = np.inf
            in_rows[i] = True
            u_i = u[i]
            for it in range(left):
                j = remaining[it]
                r = min_val + cost[i, j] - u_i - v[j]
                reached = shortest[j]
                if r < reached:
                    path[j] = i
                    shortest[j] = reached = r
                if reached < lowest or (reached == lowest and row4col[j] == -1):
                    lowest = reached
                    index = it
            min_val = lowest
            if min_val == np.inf:  # not reached with finite costs
                return np.full(rows0, -1, np.int64)
            j = remaining[index]
            if row4col[j] == -1:
                sink = j
            else:
                i = row4col[j]
            in_cols[j] = True
            left -= 1
            remaining[index] = remaining[left]
        u[current] += min_val
        for i in range(nr):
            if in_rows[i] and i != current:
                u[i] += min_val - shortest[col4row[i]]
        for j in range(nc):
            if in_cols[j]:
                v[j] -= min_val - shortest[j]
        j = sink
        while True:
            i = path[j]
            row4col[j] = i
            col4row[i], j = j, col4row[i]
            if i == current:
                break
    if not transpose:
        return col4row
    partner = np.full(rows0, -1, np.int64)
    for t in range(nr):
        partner[col4row[t]] = t
    return partner


@numba.njit(cache=True)
def _wrap(d):
    return d - TWO_PI * np.floor((d + np.pi) / TWO_PI)


@numba.njit(cache=True)
def supported_pairs(sim, minutiae_a, minutiae_b, settings):
    """The first steps of ``matcher.consolidate``: the assigned pairs with a positive
    similarity, most similar first (``ia``, ``ib``), their similarities (``lam0``) and the
    relaxation's matrix (``step``)."""
    partner = assignment(sim)
    # stable: of equal similarities the earlier row first
    rows = np.empty(sim.shape[0], np.int64)
    k = 0
    for i in range(sim.shape[0]):
        if partner[i] >= 0 and sim[i, partner[i]] > 0:
            value = sim[i, partner[i]]
            t = k
            while t > 0 and sim[rows[t - 1], partner[rows[t - 1]]] < value:
                rows[t] = rows[t - 1]
                t -= 1
            rows[t] = i
            k += 1
    ia = rows[:k].copy()
    ib = np.empty(k, np.int64)
    lam0 = np.empty(k, np.float32)
    for t in range(k):
        ib[t] = partner[ia[t]]
        lam0[t] = sim[ia[t], ib[t]]
    step = np.zeros((k, k))
    if k < 2:
        return ia, ib, lam0, step
    mu_1, tau_1, mu_2, tau_2, w_r = settings[_MU_1], settings[_TAU_1], settings[_MU_2], settings[_TAU_2], settings[_W_R]
    weight = (1 - w_r) / min(k - 1, int(settings[_SUPPORT]))
    xa, ya, xb, yb, delta = np.empty(k), np.empty(k), np.empty(k), np.empty(k), np.empty(k)
    for t in range(k):
        xa[t], ya[t] = minutiae_a[ia[t], 0], minutiae_a[ia[t], 1]
        xb[t], yb[t] = minutiae_b[ib[t], 0], minutiae_b[ib[t], 1]
        delta[t] = minutiae_a[ia[t], 2] - minutiae_b[ib[t], 2]
    # rho(i, j) = 1 / ((1 + e^a1)((1 + e^a2)(1 + e^a3))), a = -tau (d - mu) for d1, d2, d3, grouped
    # as matcher.consolidate groups it. The distance term and the bearing's turn are the same for
    # (i, j) and (j, i), bit for bit, so each unordered pair computes them once; rho is left at 0
    # once the exponents already known put it below e^-NEGLIGIBLE. The first two exponents of a
    # row are computed without branches, on vectors; the rest only for the pairs they leave
    a1s, a2s_ij, a2s_ji = np.empty(k), np.empty(k), np.empty(k)
    for i in range(k):
        step[i, i] = w_r
        for j in range(i + 1, k):
            dxa, dya = xa[j] - xa[i], ya[j] - ya[i]
            dxb, dyb = xb[j] - xb[i], yb[j] - yb[i]
            d1 = min(abs(math.sqrt(dxa * dxa + dya * dya) - math.sqrt(dxb * dxb + dyb * dyb)), 60.0)
            a1s[j] = -tau_1 * (d1 - mu_1)
            a2s_ij[j] = -tau_2 * (abs(_wrap(delta[i] - delta[j])) - mu_2)
            a2s_ji[j] = -tau_2 * (abs(_wrap(delta[j] - delta[i])) - mu_2)
        for j in range(i + 1, k):
            a1, a2_ij, a2_ji = a1s[j], a2s_ij[j], a2s_ji[j]
            far = max(a1, 0.0)
            if far + max(min(a2_ij, a2_ji), 0.0) > NEGLIGIBLE:
                continue
            dxa, dya = xa[j] - xa[i], ya[j] - ya[i]
            dxb, dyb = xb[j] - xb[i], yb[j] - yb[i]
            turn = math.atan2(dxb * dya - dyb * dxa, dxa * dxb + dya * dyb)
            a3_ij = -tau_2 * (abs(_wrap(delta[i] - turn)) - mu_2)
            a3_ji = -tau_2 * (abs(_wrap(delta[j] - turn)) - mu_2)
            near_ij = far + max(a2_ij, 0.0) + max(a3_ij, 0.0) <= NEGLIGIBLE
            near_ji = far + max(a2_ji, 0.0) + max(a3_ji, 0.0) <= NEGLIGIBLE
            if not (near_ij or near_ji):
                continue
            z1 = 1.0 + math.exp(a1)
            z2_ij = 1.0 + math.exp(a2_ij)
            # the two directions' d2 differ only where a wrap lands on ±pi
            z2_ji = z2_ij if a2_ji == a2_ij else 1.0 + math.exp(a2_ji)
            if near_ij:
                step[i, j] = 1.0 / (z1 * (z2_ij * (1.0 + math.exp(a3_ij)))) * weight
            if near_ji:
                step[j, i] = 1.0 / (z1 * (z2_ji * (1.0 + math.exp(a3_ji)))) * weight
    return ia, ib, lam0, step


@numba.njit(cache=True, fastmath={"reassoc"})
def _sum_of_products(x, y, start, stop):
    total = 0.0
    for j in range(start, stop):
        total += x[j] * y[j]
    return total


@numba.njit(cache=True)
def relax(lam0, step, settings):
    """``matcher.consolidate``'s relaxation: the similarities after N_REL steps, the share of
    its own each pair kept (its efficiency), and which pairs' support came so close to their
    sums' rounding that another order of summing may round them otherwise (``FRAGILE_SUPPORT``)."""
    k = lam0.shape[0]
    low, high = FRAGILE_SUPPORT
    lam = np.empty(k)
    for t in range(k):
        lam[t] = lam0[t]
    after = np.empty(k)
    fragile = np.zeros(k, np.bool_)
    for _ in range(int(settings[_N_REL])):
        for i in range(k):
            support = _sum_of_products(step[i], lam, 0, i) + _sum_of_products(step[i], lam, i + 1, k)
            own = step[i, i] * lam[i]
            after[i] = own + support
            fragile[i] |= low * own <= support <= high * own
        lam, after = after, lam
    efficiency = np.empty(k)
    for t in range(k):
        efficiency[t] = lam[t] / np.float64(max(lam0[t], np.float32(1e-9)))
    return lam, efficiency, fragile


# --- global alignment check --------------------------------------------------------------------

@numba.njit(cache=True)
def _count_inside(x, y, edges, margin, worst):
    """How many of the points (x, y) lie within ``margin`` of an outline's every edge (all
    of them when it has none), as ``alignment._count_inside``; and whether one lies within
    rounding of that margin."""
    n = x.shape[0]
    if edges.shape[0] == 0:
        return n, False
    worst[:n] = -np.inf
    for e in range(edges.shape[0]):
        e0, e1, e2 = edges[e, 0], edges[e, 1], edges[e, 2]
        for p in range(n):
            worst[p] = max(worst[p], e0 * x[p] + e1 * y[p] + e2)
    inside = 0
    close = False
    for p in range(n):
        inside += worst[p] <= margin
        close |= abs(worst[p] - margin) <= CLOSE_EDGE
    return inside, close


@numba.njit(cache=True)
def alignment_scores(all_a, headings_a, edges_a, all_b, headings_b, edges_b, seeds_a, seeds_b, settings):
    """``alignment.alignment_scores``: ``m² / (n_a · n_b)`` for each seed pair's transform;
    and whether a decision it rests on came within rounding of its threshold."""
    k, na, nb = seeds_a.shape[0], all_a.shape[0], all_b.shape[0]
    scores = np.zeros(k)
    close = False
    if na == 0 or nb == 0:
        return scores, close
    radius, growth, cos_angle = settings[_RADIUS], settings[_GROWTH], settings[_COS_ANGLE]
    margin, min_count = settings[_MARGIN], settings[_MIN_COUNT]
    # A's minutiae by y, so that those within reach of a point lie in one stretch of them (only
    # counts are kept, so the order they are counted in does not matter), and where each
    # BUCKET px of y begins in that order
    by_y = np.argsort(all_a[:, 1])
    ax, ay, hax, hay = np.empty(na), np.empty(na), np.empty(na), np.empty(na)
    for t in range(na):
        p = by_y[t]
        ax[t], ay[t], hax[t], hay[t] = all_a[p, 0], all_a[p, 1], headings_a[p, 0], headings_a[p, 1]
    y0 = ay[0]
    buckets = int((ay[na - 1] - y0) / BUCKET) + 2
    first = np.empty(buckets + 1, np.int64)
    p = 0
    for b in range(buckets + 1):
        while p < na and ay[p] < y0 + b * BUCKET:
            p += 1
        first[b] = p
    tx, ty, ux, uy, from_seed = np.empty(nb), np.empty(nb), np.empty(na), np.empty(na), np.empty(nb)
    reach2 = np.empty(na)
    worst = np.empty(max(na, nb))
    partner_a, partner_b = np.empty(na, np.bool_), np.empty(nb, np.bool_)
    for s in range(k):
        sa_x, sa_y, sb_x, sb_y = seeds_a[s, 0], seeds_a[s, 1], seeds_b[s, 0], seeds_b[s, 1]
        rotation = seeds_a[s, 2] - seeds_b[s, 2]
        c, sn = math.cos(rotation), math.sin(rotation)
        for q in range(nb):  # B in A's frame
            bx, by = all_b[q, 0] - sb_x, all_b[q, 1] - sb_y
            tx[q] = c * bx - sn * by + sa_x
            ty[q] = sn * bx + c * by + sa_y
            from_seed[q] = math.sqrt(bx * bx + by * by)
            partner_b[q] = False
        for p in range(na):  # A in B's frame
            dx, dy = ax[p] - sa_x, ay[p] - sa_y
            # the reference takes np.hypot, this may differ from it in the last bit: CLOSE_DISTANCE2 covers it
            r = radius + growth * math.sqrt(dx * dx + dy * dy)
            reach2[p] = r * r
            ux[p] = c * dx + sn * dy + sb_x
            uy[p] = -sn * dx + c * dy + sb_y
            partner_a[p] = False
        n_a, close_a = _count_inside(ux, uy, edges_b, margin, worst)
        n_b, close_b = _count_inside(tx, ty, edges_a, margin, worst)
        close |= close_a | close_b
        for q in range(nb):
            x, y = tx[q], ty[q]
            # an A minutia p within reach r_p = R + g |p - seed| of this point lies within
            # |p - seed| <= |q - seed| + r_p of the seed, so r_p <= (R + g |q - seed|) / (1 - g):
            # only the buckets that far above and below it are looked at (1e-3 px past
            # CLOSE_DISTANCE2 too)
            w = (radius + growth * from_seed[q]) / (1 - growth) + 1e-3
            lo = min(max(int((y - w - y0) / BUCKET), 0), buckets)
            hi = min(max(int((y + w - y0) / BUCKET) + 1, 0), buckets)
            # of A's minutiae within reach, those whose directions agree with B's, turned by the rotation
            hx = c * headings_b[q, 0] - sn * headings_b[q, 1]
            hy = sn * headings_b[q, 0] + c * headings_b[q, 1]
            for p in range(first[lo], first[hi]):
                dx, dy = ax[p] - x, ay[p] - y
                d2 = dx * dx + dy * dy
                if d2 >= reach2[p] + CLOSE_DISTANCE2:
                    continue
                turned = hax[p] * hx + hay[p] * hy
                close |= abs(turned - cos_angle) <= CLOSE_COSINE
                if turned > cos_angle:
                    close |= abs(d2 - reach2[p]) <= CLOSE_DISTANCE2
                    if d2 < reach2[p]:
                        partner_a[p] = True
                        partner_b[q] = True
        matched = min(partner_a.sum(), partner_b.sum())
        scores[s] = min(matched * matched / (max(n_a, min_count) * max(n_b, min_count)), 1.0)
    return scores, close


# --- ridge flow ------------------------------------------------------------------------------

@numba.njit(cache=True)
def flow_factors(grid, inside_a, weight_a, rows, cols, points_b, cos2_b, sin2_b, weight_b,
                 rotations, shifts, anchors, settings):
    """``ridge_flow.flow_factors``: how far the flows' disagreement lowers each alignment's
    score; the sums run over B's points in the same order, so they round the same way. Also
    whether a point fell within rounding of the middle between two grid points. ``grid`` is A's
    (``FlowGrid.padded``): a point's nine neighbours are the 3 × 3 points around it there."""
    k = rotations.shape[0]
    factors = np.ones(k)
    close = False
    if points_b.shape[0] == 0 or rows * cols == 0:
        return factors, close
    reach2 = settings[_REACH] * settings[_REACH]
    step = settings[_STEP]
    half = np.floor(step / 2)
    low, high, power = settings[_FADE_LOW], settings[_FADE_HIGH], settings[_POWER]
    for j in range(k):
        c, s = math.cos(rotations[j]), math.sin(rotations[j])
        c2, s2 = math.cos(2 * rotations[j]), math.sin(2 * rotations[j])
        total = 0.0
        agreeing = 0.0
        count = 0
        for p in range(points_b.shape[0]):
            px, py = points_b[p, 0], points_b[p, 1]
            dx, dy = px - anchors[j, 0], py - anchors[j, 1]
            if dx * dx + dy * dy > reach2:
                continue
            x = (c * px - s * py + shifts[j, 0] - half) / step
            y = (s * px + c * py + shifts[j, 1] - half) / step
            close |= abs(x - np.floor(x) - 0.5) <= CLOSE_EDGE or abs(y - np.floor(y) - 0.5) <= CLOSE_EDGE
            col, row = np.rint(x), np.rint(y)
            if not (col >= 0 and col < cols and row >= 0 and row < rows):
                continue
            centre = int(row * cols + col)
            if not inside_a[centre]:
                continue
            weight = min(weight_a[centre], weight_b[p])
            tc = cos2_b[p] * c2 - sin2_b[p] * s2
            ts = sin2_b[p] * c2 + cos2_b[p] * s2
            best = -np.inf
            r0, c0 = int(row), int(col)
            for dy in range(3):  # the point's best agreement among A's point and its eight neighbours
                for dx in range(3):
                    best = max(best, grid[r0 + dy, c0 + dx, 0] * tc + grid[r0 + dy, c0 + dx, 1] * ts
                               + grid[r0 + dy, c0 + dx, 2])
            total += weight
            agreeing += best * weight
            count += 1
        if total > 0:
            agreement = agreeing / max(total, 1e-12)
            fade = min(max((total / max(count, 1) - low) / (high - low), 0.0), 1.0)
            factors[j] = ((1 + agreement) / 2) ** (power * fade)
    return factors, close


@numba.njit(cache=True)
def _close_ranks(values, order):
    """Whether two of ``values`` differ, but by so little that rounding may rank them otherwise."""
    for t in range(order.shape[0] - 1):
        x, y = values[order[t]], values[order[t + 1]]
        if x != y and abs(x - y) <= CLOSE_SHARE * max(abs(x), abs(y)):
            return True
    return False


# What a comparison's call says of its score
SURE = 0  # the reference's
UNSURE = 1  # a decision came within rounding of its threshold: the reference must score it
TIED = 2  # equal efficiencies among the pairs LSS-R takes: NumPy's sort must rank them


@numba.njit(cache=True)
def _score(minutiae_a, all_a, all_headings_a, edges_a, minutiae_b, all_b, all_headings_b, edges_b,
           with_flow, grid, inside_a, weight_a, rows, cols, points_b, cos2_b, sin2_b, weight_b,
           pairs_a, pairs_b, lam, efficiency, fragile, order, count, settings):
    """The score from the relaxed pairs and the ``count`` most efficient of them (``order``
    ranks them, the first first): LSS-R's score, the global alignment check and the ridge
    flows as ``matcher._best`` takes them. Also the seed pair (rows of ``minutiae_a`` and
    ``minutiae_b``) of the alignment the score rests on, (-1, -1) at 0, and SURE or UNSURE."""
    # the most efficient pairs must rank alike whoever rounded their efficiencies, and so must
    # the first pair left out: none may differ from its neighbour by a rounding, and a tie is a
    # tie for both only when neither pair's support was near its rounding (further down, the
    # ranks do not matter: a sort by comparisons moves two neighbours that swap and nothing else)
    ranked = order[: min(count + 1, order.shape[0])]
    if _close_ranks(efficiency, ranked):
        return 0.0, -1, -1, UNSURE
    for t in range(ranked.shape[0] - 1):
        if efficiency[ranked[t]] == efficiency[ranked[t + 1]] and (fragile[ranked[t]] or fragile[ranked[t + 1]]):
            return 0.0, -1, -1, UNSURE
    # LSS-R's score, the mean of the most efficient pairs' relaxed similarities (at most 1: counted
    # in pairs, a large print's support can lift them above their own)
    top = order[:count]
    total = 0.0
    for t in range(count):
        total += lam[top[t]]
    local = min(total / count, 1.0)
    if local <= 0:
        return 0.0, -1, -1, SURE
    ia, ib = pairs_a[top], pairs_b[top]
    seeds_a = np.empty((count, 3))
    seeds_b = np.empty((count, 3))
    for t in range(count):
        for c in range(3):
            seeds_a[t, c] = minutiae_a[ia[t], c]
            seeds_b[t, c] = minutiae_b[ib[t], c]
    raw, close = alignment_scores(all_a, all_headings_a, edges_a, all_b, all_headings_b, edges_b,
                                  seeds_a, seeds_b, settings)
    wholes = raw ** settings[_W_ALIGN]
    close |= _close_ranks(wholes, np.argsort(wholes))
    if not with_flow:
        chosen = np.argmax(wholes)
        return local ** (1 - settings[_W_ALIGN]) * wholes[chosen], ia[chosen], ib[chosen], UNSURE if close else SURE
    # the best few alignments (stable: of equals the earlier), each also judged by the flows
    n = min(int(settings[_FLOW_SEEDS]), count)
    taken = np.zeros(count, np.bool_)
    best = np.empty(n, np.int64)
    for t in range(n):
        pick = -1
        for s in range(count):
            if not taken[s] and (pick < 0 or wholes[s] > wholes[pick]):
                pick = s
        taken[pick] = True
        best[t] = pick
    rotations, shifts, anchors = np.empty(n), np.empty((n, 2)), np.empty((n, 2))
    for t in range(n):
        s = best[t]
        rotations[t] = seeds_a[s, 2] - seeds_b[s, 2]
        c, sn = math.cos(rotations[t]), math.sin(rotations[t])
        shifts[t, 0] = seeds_a[s, 0] - (c * seeds_b[s, 0] - sn * seeds_b[s, 1])
        shifts[t, 1] = seeds_a[s, 1] - (sn * seeds_b[s, 0] + c * seeds_b[s, 1])
        anchors[t, 0], anchors[t, 1] = seeds_b[s, 0], seeds_b[s, 1]
    factors, close_flow = flow_factors(grid, inside_a, weight_a, rows, cols, points_b, cos2_b, sin2_b, weight_b,
                                       rotations, shifts, anchors, settings)
    kept = np.empty(n)
    for t in range(n):
        kept[t] = wholes[best[t]] * factors[t]
    close |= close_flow or _close_ranks(kept, np.argsort(kept))
    chosen = np.argmax(kept)
    return (local ** (1 - settings[_W_ALIGN]) * kept[chosen], ia[best[chosen]], ib[best[chosen]],
            UNSURE if close else SURE)


@numba.njit(cache=True)
def _compare(ew, bb, ab, headings_a, headings_b, minutiae_a, all_a, all_headings_a, edges_a,
             minutiae_b, all_b, all_headings_b, edges_b,
             with_flow, grid, inside_a, weight_a, rows, cols, points_b, cos2_b, sin2_b, weight_b,
             pairs_averaged, ranking, settings):
    sim, close = local_similarity(ew, bb, ab, headings_a, headings_b, settings)
    if close:
        return 0.0, -1, -1, UNSURE, np.zeros(0)
    pairs_a, pairs_b, lam0, step = supported_pairs(sim, minutiae_a, minutiae_b, settings)
    k = pairs_a.shape[0]
    if k < 2:
        return 0.0, -1, -1, SURE, np.zeros(0)
    lam, efficiency, fragile = relax(lam0, step, settings)
    count = min(pairs_averaged, k)
    if ranking.shape[0] == k:
        order = ranking
    else:
        # ranked here, unless two of those LSS-R takes (or the first it leaves) are equal: then
        # which goes first is NumPy's sort's to say, and the call is made again with its ranking
        order = np.argsort(efficiency)[::-1].copy()
        for t in range(min(count, k - 1)):
            if efficiency[order[t]] == efficiency[order[t + 1]]:
                return 0.0, -1, -1, TIED, efficiency
    score, seed_a, seed_b, verdict = _score(
        minutiae_a, all_a, all_headings_a, edges_a, minutiae_b, all_b, all_headings_b, edges_b,
        with_flow, grid, inside_a, weight_a, rows, cols, points_b, cos2_b, sin2_b, weight_b,
        pairs_a, pairs_b, lam, efficiency, fragile, order, count, settings)
    return score, seed_a, seed_b, verdict, efficiency


# --- calls from matcher --------------------------------------------------------------------------

_NO_GRID = np.zeros((0, 0, 3))
_NO_CELLS = np.zeros(0, np.bool_)
_NO_WEIGHTS = np.zeros(0)
_NO_POINTS = np.zeros((0, 2))


def _outlines_and_flows(a: Cylinders, b: Cylinders) -> tuple:
    fa, fb = a.flow, b.flow
    if fa is not None and fb is not None:
        rows, cols = fa.shape
        flow = (True, fa.padded, fa.inside, fa.weight, rows, cols,
                fb.points, fb.point_cos2, fb.point_sin2, fb.point_weight)
    else:
        flow = (False, _NO_GRID, _NO_CELLS, _NO_WEIGHTS, 0, 0, _NO_POINTS, _NO_WEIGHTS, _NO_WEIGHTS, _NO_WEIGHTS)
    oa, ob = a.outline, b.outline
    # a template's minutiae are as its maker gave them, a strided view perhaps: as one layout,
    # so that the kernel is compiled once
    all_a, all_b = np.ascontiguousarray(oa.minutiae), np.ascontiguousarray(ob.minutiae)
    return (a.minutiae, all_a, oa.headings, oa.edges, b.minutiae, all_b, ob.headings, ob.edges, *flow)


_NO_RANKING = np.zeros(0, np.int64)


def compare(a: Cylinders, b: Cylinders, products: tuple, pairs_averaged: int,
            ranking: np.ndarray = _NO_RANKING) -> tuple[float, int, int, int, np.ndarray]:
    """The score of two templates with at least one cylinder each, from their
    ``matcher.cylinder_products``, with LSS-R averaging ``pairs_averaged`` pairs; the seed
    pair (rows of ``a.minutiae`` and ``b.minutiae``) of the alignment it rests on, (-1, -1)
    at 0; SURE, or UNSURE or TIED where the score is not to be taken (see those); and the
    efficiencies of the relaxed pairs, for NumPy to rank when TIED. ``ranking``, that
    ranking (``matcher.efficiency_order``), is for the call made again then."""
    return _compare(*products, a.headings, b.headings, *_outlines_and_flows(a, b), pairs_averaged,
                    np.ascontiguousarray(ranking), SETTINGS)


def warm() -> float:
    """Compile the kernel into numba's cache (beside this module) now, so that the first comparison of
    a fresh checkout's tests or services does not wait 15–25 s for it; returns the seconds it took."""
    import time

    from .cylinder import make_cylinders
    from .matcher import compare_cylinders
    from .ridge_flow import RidgeFlow
    from .template import Template

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(40, 260, 40), rng.uniform(40, 260, 40), rng.uniform(-np.pi, np.pi, 40),
                              rng.integers(1, 3, 40), np.full(40, 60)])
    flow = RidgeFlow(rng.integers(0, 180, (19, 19)).astype(np.uint8), np.full((19, 19), 200, np.uint8))
    moved = points.copy()
    moved[:, :2] += rng.normal(0, 2, (40, 2))
    for a, b in ((points, moved), (points, points[::-1])):
        for with_flow in (flow, None):
            compare_cylinders(make_cylinders(Template(300, 300, a, flow=with_flow)),
                              make_cylinders(Template(300, 300, b, flow=with_flow)))
    return time.perf_counter() - started


if __name__ == "__main__":
    print(f"comparison kernel ready ({warm():.1f} s)")
