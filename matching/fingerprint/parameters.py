"""Every tuned constant of the fingerprint pipeline, one place, stage by stage (after SourceAFIS's
single parameters file).

The stage modules import their constants from here, under the names they have always used
(``cylinder.SIGMA_S``, ``matcher.N_REL``, ``alignment.MIN_COUNT`` ... still work). Lengths are
pixels at 500 dpi, angles radians. "Measured" means on the 22 FVC runs of ``make eval``
(docs/accuracy.md, "What is measured"), every pair scored; the section of docs/decisions.md whose
title is quoted has the figures ("same section": the one quoted last). Changing a value here
changes templates or scores: re-run ``make eval`` and re-fit ``thresholds`` after it.

Not here, because they are formats rather than tuning: the 500-dpi frame and the input size
limits (``image``), the ZFM's 256×288 4-bit window (``zfm_image``), the ridge-flow grid's 16-px
step and off-finger code that the ISO record stores (``ridge_flow.STEP``, ``ridge_flow.OUTSIDE``),
the ISO/IEC 19794-2 fields (``iso19794_2``). What a score means in false matches is a measured
calibration of the whole pipeline and lives in ``thresholds``.

Glossary: our names for the symbols of Cappelli, Ferrara and Maltoni, "Minutia Cylinder-Code: a
new representation and matching technique for fingerprint recognition" (IEEE TPAMI, 2010), and
our values (the paper's beside them where we chose otherwise, for the reasons below):

    RADIUS               R           cylinder radius                                   70 px
    NS                   N_S         cells across the cylinder's base                  16
    ND                   N_D         direction sections                                6
    SIGMA_S              σ_S         spatial Gaussian                                  8 px (paper 28/3)
    SIGMA_D              σ_D         directional Gaussian                              0.65 (paper 2π/9)
    MU_PSI, TAU_PSI      μ_Ψ, τ_Ψ    the sigmoid Ψ that saturates a cell's sum         0.01, 400
    HULL_MARGIN          Ω           growth of the minutiae's convex hull              50 px
    MIN_VALID_FRACTION   min_VC      valid cells a usable cylinder needs               60 % of the disc
    MIN_NEIGHBOURS       min_M       neighbours a usable cylinder needs                2
    MIN_COMMON_CELLS     min_ME      cells two cylinders must both see                 50 % of the disc (paper 60 %)
    MAX_DIRECTION_DIFF   δ_θ         largest direction difference of comparable ones   π/2
    MIN_NP, MAX_NP       min_n_P, max_n_P   bounds of n_P, the pairs the score averages    4, 12
    MU_P, TAU_P          μ_P, τ_P    the sigmoid that sets n_P from min(n_A, n_B)      20, 2/5
    W_R                  w_R         own weight a pair keeps in a relaxation step      1/2
    N_REL                n_rel       relaxation steps                                  5
    MU_1, TAU_1          μ_1, τ_1    sigmoid of the distance difference d_1            5, -8/5
    MU_2, TAU_2          μ_2, τ_2    sigmoid of the angle differences d_2 and d_3      π/12, -30
                         (= μ_3, τ_3)
    SUPPORT_PAIRS        n_R - 1     the other pairs a pair's support is counted out of: at most 60
                                     (paper: all of them)

The other stages' constants have no symbol in the paper.
"""

from __future__ import annotations

import numpy as np

# --- segmentation (segmentation.py) ---------------------------------------------------------------
SEGMENTATION_BLOCK = 17  # px: window of the local contrast, about two ridge periods
SEGMENTATION_STRETCH = (1, 99)  # percentiles stretched to 0 and 1, so a few saturated pixels set no scale
# σ of the blur the contrast's high-pass subtracts; a band-pass (σ 1–4 px) lost on 14 of 22 runs
# ("the second pass again, and the background of a capacitive sensor")
SEGMENTATION_HIGH_PASS = 4.0
# foreground where the contrast exceeds this share of the print's typical contrast, so faint prints
# are found as well as dark ones; 0.25 found faint halves but lost on FVC2004_DB1 and FVC2002_DB2
# ("global alignment check, finer cluster filter")
SEGMENTATION_LEVEL = 0.4
SEGMENTATION_TYPICAL = 80  # percentile of the local contrast taken as the print's typical contrast
SEGMENTATION_MIN_LEVEL = 0.015  # the bar's floor, so a blank frame's noise is not a finger
SEGMENTATION_CLEANING = 15  # px: the ellipse that closes and then opens the mask

# --- orientation (orientation.py, extractor.py) ---------------------------------------------------
GRADIENT_PRESMOOTH = 1.0  # σ of the blur before the Sobel gradients: pixel noise, not ridges
# σ of the gradient tensor's window, about two ridge periods: bridges scars and pores, keeps the
# turn near a core; 5 and 7 each broke 8–11 floors
# ("a faster extractor with the same templates; parameters measured again")
ORIENTATION_WINDOW = 6.0
# σ of the doubled-angle smoothing of the field the Gabor filter and minutiae use; 3 and 5 each
# broke 7–10 floors (same section)
ORIENTATION_SMOOTHING = 4.0

# --- ridge period (frequency.py) --------------------------------------------------------------
FREQUENCY_BLOCK = 32  # px: the square whose spectrum gives the period, three to four typical ridge periods
FREQUENCY_STEP = 16  # px between blocks: half a block, each pixel seen by about four
MIN_PERIOD, MAX_PERIOD = 5.0, 15.0  # px: the ridge periods of adult fingers at 500 dpi
DEFAULT_PERIOD = 9.0  # px: where no block can tell (a blank print), the typical adult period
PERIOD_SMOOTHING = 1.5  # blocks: σ of the confidence-weighted smoothing of the block periods

# --- enhancement (enhancement.py) ------------------------------------------------------------
NORMALIZE_WINDOW = 25  # px: window of the local mean and deviation the ridge signal is normalised by
# kernel orientations over π; 24 broke 12 floors and 32 broke 7
# ("a faster extractor with the same templates; parameters measured again")
GABOR_ORIENTATIONS = 16
PERIOD_STEP = 1.5  # px between the kernels' periods; 1.0 broke 11 floors (same section)
GABOR_SIGMA = 0.5  # the kernel's across-ridge σ, in ridge periods
# along-ridge σ in units of the across-ridge σ: kernels as long as wide erased minutiae ("the first
# core's measured steps"); 0.6 and 0.8 broke 11 and 7 floors
# ("a faster extractor with the same templates; parameters measured again")
GABOR_ALONG = 0.7
GABOR_EXTENT = 2.5  # the kernel's half-width in across-ridge σ: the Gaussian is below 5 % there
# px: the filter runs a tile at a time (speed only, the output does not depend on it); 96–128 px
# measured alike and twice as fast as untiled (same section)
GABOR_TILE = 112

# --- minutia region (minutia_region.py) ----------------------------------------------------------
RAW_COHERENCE = 0.25  # blurred coherence of the raw ridge signal above which ridges are readable
# ... or of the Gabor-enhanced image: 0.7 of 0.65–0.8 measured best ("where minutiae are looked for")
ENHANCED_COHERENCE = 0.7
REGION_BLUR = 4.0  # px: about half a ridge period, so one scratch does not cut a hole
REGION_OPENING = 9  # px: slivers narrower than this hold no trustworthy minutia
# mean raw coherence over the foreground below which an image shows no ridge flow at all (and no
# region): noise has about 0.12, the lowest of the 1,876 real images and ZFM views in
# ../shared/data 0.27, so no figure depends on it
MIN_PRINT_COHERENCE = 0.2

# --- thinning and minutiae (minutiae.py, extractor.py) -------------------------------------------
THINNING_ROUNDS = 40  # the most Zhang–Suen rounds; a ridge of a 500-dpi print thins in far fewer
STAIRCASE_ROUNDS = 4  # a bound on the rounds of dropping staircase corners (each corner is one pixel)
TRACE_LENGTH = 10  # px a candidate minutia's ridges are traced, about one ridge period
# px: minutiae this close to the finger's edge (the frame counts as background) are dropped; 12 px
# lost ("the first core's measured steps"), 3, 8 and 11 px measured worse ("a second enhancement pass")
EDGE_MARGIN = 5
# px: both minutiae of a closer pair are dropped; 7 px raised 16 of the other 21 runs ("minutia cloud filter")
MIN_MINUTIA_DISTANCE = 4.0
# px: an ending on a shorter traced ridge is a spur; 8 px lost ("the first core's measured steps"),
# 4–8 px each broke 2–4 floors ("the skeleton's staircases")
MIN_SPUR_LENGTH = 3
CLOUD_RADIUS = 12.0  # px, about one and a fifth ridge periods: see MAX_CLOUD_SIZE
# a minutia with more neighbours within CLOUD_RADIUS is noise (SourceAFIS's cloud filter; its own
# 20 px and 4 and other pairs measured worse, "minutia cloud filter"); 2 rather than 3 with the wide
# minutia region, which lets more noise through ("where minutiae are looked for")
MAX_CLOUD_SIZE = 2
MINUTIA_QUALITY_DEPTH = 40.0  # px inside the minutia region from which a minutia's quality is its coherence alone

# --- cylinders: MCC (cylinder.py) ---------------------------------------------------------------
RADIUS = 70.0  # R, the paper's
NS = 16  # N_S, the paper's
ND = 6  # N_D, the paper's
# σ_S and σ_D: sharper than the paper's 28/3 px and 2π/9 (0.70 rad): mean EER 6.58 % against 6.84 %
# with the paper's, 15 runs better and none past its floor, and 7.5–8.5 px, 0.55–0.65 rad were each
# better on the mean too: a slope, not a lucky point ("sharper cylinders")
SIGMA_S = 8.0
SIGMA_D = 0.65
MU_PSI = 0.01  # μ_Ψ, the paper's; 0.0117 and 0.008 each broke floors ("sharper cylinders")
TAU_PSI = 400.0  # τ_Ψ, the paper's; 300 and 600 measured worse (same section)
HULL_MARGIN = 50.0  # Ω, the paper's; 40 px measured worse (same section), 70 px alike
# min_VC, as a share of the disc's cells; 0.70 measured worse (same section), 0.30 ("the face
# descriptor's views; a matcher twice as fast") and 0.40 ("the first core's measured steps") lost on
# some sets
MIN_VALID_FRACTION = 0.60
MIN_NEIGHBOURS = 2  # min_M, the paper's

# --- local similarity (matcher.py) -----------------------------------------------------------
# cells both cylinders see, as a share of the cylinder's disc (all sections): half, not the paper's
# 60 %, so that cylinders cut by a small window's edge still take part; with ALIGNMENT_MIN_COUNT 10:
# mean EER 2.75 % against 2.91 % with 60 % and 8, and no floor broken ("what a small overlap may claim")
MIN_COMMON_SHARE = 0.5
MIN_COMMON_CELLS = MIN_COMMON_SHARE * (np.pi * (NS / 2) ** 2) * ND  # min_ME
MAX_DIRECTION_DIFF = np.pi / 2  # δ_θ, the paper's

# --- consolidation: LSA and LSS-R (matcher.py) ---------------------------------------------------
# bounds of n_P, the paper's; 3–8 moved the EERs within ±1 % ("the face descriptor's views; a matcher
# twice as fast"), at most 10 or 14 each broke a floor ("where minutiae are looked for")
MIN_NP, MAX_NP = 4, 12
MU_P, TAU_P = 20, 0.4  # μ_P, τ_P, the paper's; μ_P 25 and 30 each broke a floor (same section)
N_REL, W_R = 5, 0.5  # n_rel, w_R, the paper's
# a pair's support in the relaxation is counted out of at most this many other pairs (the paper:
# out of all of them), so that on a large print the pairs that agree are not diluted by minutiae the
# other impression does not show; of 8–70, 60 is the count that lowers the mean EER (2.69 % against
# 2.75 % counting all) and breaks no floor ("a pair's support counted in pairs")
SUPPORT_PAIRS = 60
MU_1, TAU_1 = 5.0, -8 / 5  # μ_1, τ_1, the paper's: distances agree within about 5 px
MU_2, TAU_2 = np.pi / 12, -30.0  # μ_2, τ_2 = μ_3, τ_3, the paper's: angles agree within about 15°

# --- global alignment check (alignment.py, matcher.py) ---------------------------------------------
# px: B's minutia is matched within this of A's at the proposing pair; 7 and 9 px each broke a floor
# ("where minutiae are looked for")
ALIGNMENT_RADIUS = 8.0
# px more per px away from the proposing pair, for skin stretch: a fixed radius lost FVC2004_DB1 to
# distortion ("global alignment check, finer cluster filter")
ALIGNMENT_RADIUS_GROWTH = 0.1
ALIGNMENT_MAX_ANGLE = np.pi / 8  # 22.5°: the most the directions of a matched pair may differ by
# an overlap is judged as if each print showed at least this many minutiae in it: 10, not 8, so
# that four or five chance agreements in a sliver of overlap (or with a template of nine minutiae)
# cannot pass for most of what the two prints share; with MIN_COMMON_SHARE 0.5 it was the one of 60
# variants measured that kept every floor ("what a small overlap may claim")
ALIGNMENT_MIN_COUNT = 10
ALIGNMENT_OUTLINE_MARGIN = 10.0  # px: a minutia this close outside the other's outline still counts
# the check's weight w in the score lss^(1 - w) · g^w: a plain product lost FVC2004_DB1 to distortion;
# 0.25 and 0.35 each broke a floor ("where minutiae are looked for")
W_ALIGNMENT = 0.3

# --- ridge flow (ridge_flow.py, matcher.py) -----------------------------------------------------
FLOW_EDGE_ERODE = 9  # px: grid points this close to the finger's edge are left out, their orientation half off it
FLOW_COHERENCE_BLUR = 4  # px: σ of the coherence's blur, so one noisy pixel does not speak for a grid point
# px around the alignment's anchor within which the flows are compared ("the ridge flow beside the
# minutiae"); 180 px broke floors ("the two directions of a comparison")
FLOW_REACH = 150.0
# the factor is ((1 + agreement) / 2) ** (FLOW_POWER · r), r rising from 0 at mean coherence
# FLOW_FADE_LOW to 1 from FLOW_FADE_HIGH: of powers 10–16, 14 has the lowest mean EER that broke no
# floor; the fade spares prints too blurred to say where their ridges run, and 0.30–0.60 measured
# worse ("the ridge flow beside the minutiae")
FLOW_POWER = 14.0
FLOW_FADE_LOW, FLOW_FADE_HIGH = 0.25, 0.55
FLOW_SEEDS = 3  # alignments whose flow agreement is measured; 2 and 5 each broke a floor (same section)

# --- quality (quality.py) ----------------------------------------------------------------------
QUALITY_TYPICAL_AREA = 200 * 250  # px a well-placed finger covers on a small sensor: the full area feature
# each feature's weight in the 0–100 score; fixed and documented, not fitted (see quality.py)
QUALITY_WEIGHTS = {"area": 0.10, "orientation": 0.20, "clarity": 0.20, "contrast": 0.15,
                   "frequency": 0.10, "uniformity": 0.10, "minutiae": 0.15}
QUALITY_MIN_AREA = 1000  # px of foreground below which every feature is 0
QUALITY_FULL_COHERENCE = 0.7  # mean foreground coherence a clear print reaches: the full orientation feature
QUALITY_DETREND = 17  # px: the box mean subtracted before clarity and contrast, about two ridge periods
QUALITY_FULL_CONTRAST = 35.0  # grey levels of ridge/valley modulation a good capture reaches
QUALITY_BLOCK = 16  # px: the blocks of the clarity and uniformity features
QUALITY_BLOCK_COVERAGE = 0.9  # share of a block on the finger for it to count
QUALITY_PERIOD_SPREAD = 0.25  # relative spread of the ridge period at which the frequency feature is 0
QUALITY_SHARE_SPREAD = 0.2  # spread of the blocks' ridge share at which the uniformity feature is 0
# minutia quality (0–100) from which a minutia counts towards the feature: blurred noise has
# minutiae of median quality 2 ("where minutiae are looked for")
QUALITY_COUNTED_MINUTIA = 10
QUALITY_FULL_MINUTIAE = 30.0  # counted minutiae for the full count
# ridge-flow evidence that gates the score: full from this orientation feature and this minutiae
# feature, so noise, a smudge or a blank sensor stays near zero however large and even
QUALITY_EVIDENCE_ORIENTATION = 0.6
QUALITY_EVIDENCE_MINUTIAE = 0.3

# --- 1:N search (search.py) -------------------------------------------------------------------
TOP_LOCAL = 8  # probe cylinders whose best pooled similarities make a template's coarse score
SEARCH_SHORTLIST = 30  # candidates the coarse stage hands to the full matcher
INDEX_QUANTUM = 200  # the first stage's int8 index: steps per unit of a pooled component; clipping at
# ±127/200 touches about one component in a thousand (0.07 at the median, 0.64 at the 99.9th
# percentile on FVC2002 DB1 and FVC2004 DB1)
