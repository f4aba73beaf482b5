"""Known-answer tests for the NumPy kernels; every expected value is derived by hand here."""

import itertools
import math

import numpy as np
import pytest

from netcalc.backend import kernels as K

RNG = np.random.default_rng(1234)


def arr(values, shape=None, dtype=np.float64):
    a = np.asarray(values, dtype=dtype)
    return a if shape is None else a.reshape(shape)


# ---------------------------------------------------------------------------------------------
# naive references (nested loops are fine in a test)


def naive_conv2d(x, w, b, stride, padding, dilation, groups):
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    (pt, pb), (pl, pr) = padding
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr))
    xp[:, :, pt : pt + h, pl : pl + wd] = x
    ho = (h + pt + pb - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (wd + pl + pr - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    fg = f // groups
    out = np.zeros((n, f, ho, wo))
    for i, o, r, s in itertools.product(range(n), range(f), range(ho), range(wo)):
        g = o // fg
        acc = 0.0 if b is None else b[o]
        for ci, u, v in itertools.product(range(cg), range(kh), range(kw)):
            acc += (
                w[o, ci, u, v]
                * xp[i, g * cg + ci, r * stride[0] + u * dilation[0], s * stride[1] + v * dilation[1]]
            )
        out[i, o, r, s] = acc
    return out


def naive_conv_transpose2d(x, w, b, stride, padding, output_padding, dilation, groups):
    n, c, h, wd = x.shape
    _, fg, kh, kw = w.shape
    cg = c // groups
    full_h = (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0]
    full_w = (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1]
    out = np.zeros((n, groups * fg, full_h, full_w))
    # scatter: input pixel (r, s) of channel ci adds w[ci, o] at r*stride + u*dilation
    for i, ci, r, s, o, u, v in itertools.product(
        range(n), range(c), range(h), range(wd), range(fg), range(kh), range(kw)
    ):
        g = ci // cg
        out[i, g * fg + o, r * stride[0] + u * dilation[0], s * stride[1] + v * dilation[1]] += (
            x[i, ci, r, s] * w[ci, o, u, v]
        )
    ph, pw = padding
    out = out[:, :, ph : full_h - ph, pw : full_w - pw]
    if b is not None:
        out = out + b[None, :, None, None]
    return out


def naive_attention(x, w_in, b_in, w_out, b_out, heads):
    n, t, d = x.shape
    hd = d // heads
    out = np.zeros_like(x)
    for i in range(n):
        q = x[i] @ w_in[:d].T + b_in[:d]
        k = x[i] @ w_in[d : 2 * d].T + b_in[d : 2 * d]
        v = x[i] @ w_in[2 * d :].T + b_in[2 * d :]
        ctx = np.zeros((t, d))
        for h in range(heads):
            cols = slice(h * hd, (h + 1) * hd)
            for a in range(t):
                scores = [q[a, cols] @ k[j, cols] / math.sqrt(hd) for j in range(t)]
                weights = np.exp(np.array(scores) - max(scores))
                weights /= weights.sum()
                ctx[a, cols] = sum(weights[j] * v[j, cols] for j in range(t))
        out[i] = ctx @ w_out.T + b_out
    return out


# ---------------------------------------------------------------------------------------------
# convolution


def test_conv_horizontal_edge_detector_is_cross_correlation():
    # rows 0-1 are 0, rows 2-4 are 1: a step edge between rows 1 and 2
    x = np.zeros((1, 1, 5, 5))
    x[..., 2:, :] = 1
    w = arr([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], (1, 1, 3, 3))
    # out[i, j] = sum_v x[i+2, j+v] - x[i, j+v] = 3 * (row i+2 - row i): 3, 3, 0 (a flipped
    # kernel, i.e. true convolution, would give -3)
    y = K.conv(x, weight=w, bias=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1)
    np.testing.assert_array_equal(y, arr([[3, 3, 3], [3, 3, 3], [0, 0, 0]], (1, 1, 3, 3)))


def test_conv_bias_and_stride():
    x = arr(range(16), (1, 1, 4, 4))
    w = np.ones((2, 1, 2, 2))
    b = arr([0, 100])
    y = K.conv(x, weight=w, bias=b, stride=(2, 2), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1)
    # 2x2 block sums of 0..15: (0+1+4+5)=10, (2+3+6+7)=18, (8+9+12+13)=42, (10+11+14+15)=50
    np.testing.assert_array_equal(y[0, 0], [[10, 18], [42, 50]])
    np.testing.assert_array_equal(y[0, 1], [[110, 118], [142, 150]])


def test_conv1d_dilation():
    x = arr([1, 2, 3, 4, 5, 6, 7], (1, 1, 7))
    w = arr([1, 10, 100], (1, 1, 3))
    # dilation 2: out[i] = x[i] + 10 x[i+2] + 100 x[i+4], length 7 - 4 = 3
    y = K.conv(x, weight=w, bias=None, stride=(1,), padding=((0, 0),), dilation=(2,), groups=1)
    np.testing.assert_array_equal(y, arr([531, 642, 753], (1, 1, 3)))


@pytest.mark.parametrize(
    ("pad", "expected"), [((0, 1), [3, 5, 3]), ((1, 0), [1, 3, 5]), ((2, 1), [0, 1, 3, 5, 3])]
)
def test_conv1d_asymmetric_padding(pad, expected):
    x = arr([1, 2, 3], (1, 1, 3))
    w = arr([1, 1], (1, 1, 2))
    # pairs of neighbours of the zero-padded signal
    y = K.conv(x, weight=w, bias=None, stride=(1,), padding=(pad,), dilation=(1,), groups=1)
    np.testing.assert_array_equal(y[0, 0], expected)


def test_conv3d_of_ones_counts_cells_inside_the_window():
    x = np.ones((1, 1, 3, 3, 3))
    w = np.ones((1, 1, 3, 3, 3))
    y = K.conv(x, weight=w, bias=None, stride=(1, 1, 1), padding=((1, 1),) * 3, dilation=(1, 1, 1), groups=1)
    # a 3x3x3 window centred on a cell of a 3x3x3 cube with zero padding 1 sees 2 or 3 cells
    # per axis: corner 2*2*2 = 8, edge 2*2*3 = 12, face 2*3*3 = 18, centre 27
    assert y[0, 0, 0, 0, 0] == 8
    assert y[0, 0, 0, 0, 1] == 12
    assert y[0, 0, 0, 1, 1] == 18
    assert y[0, 0, 1, 1, 1] == 27


@pytest.mark.parametrize(
    ("c", "f", "groups", "k", "stride", "padding", "dilation"),
    [
        (4, 6, 2, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),  # grouped
        (3, 3, 3, (3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1)),  # depthwise
        (4, 8, 4, (3, 2), (1, 2), ((2, 0), (1, 3)), (2, 1)),  # depthwise x2, asym pad, dilation
        (6, 4, 2, (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1)),  # grouped pointwise
        (2, 5, 1, (2, 3), (3, 1), ((0, 1), (2, 2)), (1, 2)),
    ],
)
def test_conv_matches_naive_loops(c, f, groups, k, stride, padding, dilation):
    x = RNG.integers(-3, 4, size=(2, c, 6, 7)).astype(np.float64)
    w = RNG.integers(-3, 4, size=(f, c // groups, *k)).astype(np.float64)
    b = RNG.integers(-3, 4, size=f).astype(np.float64)
    y = K.conv(x, weight=w, bias=b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_array_equal(y, naive_conv2d(x, w, b, stride, padding, dilation, groups))


def test_conv_transpose_stride2_stamps_the_kernel():
    x = arr([[1, 2], [3, 4]], (1, 1, 2, 2))
    w = arr([[1, 10], [100, 1000]], (1, 1, 2, 2))
    # stride 2 = kernel 2: each input pixel stamps x * w into its own 2x2 block; out 4x4
    y = K.conv_transpose(
        x,
        weight=w,
        bias=None,
        stride=(2, 2),
        padding=(0, 0),
        output_padding=(0, 0),
        dilation=(1, 1),
        groups=1,
    )
    expected = [[1, 10, 2, 20], [100, 1000, 200, 2000], [3, 30, 4, 40], [300, 3000, 400, 4000]]
    np.testing.assert_array_equal(y[0, 0], expected)


def test_conv_transpose_overlap_padding_output_padding():
    x = arr([[1, 2], [3, 4]], (1, 1, 2, 2))
    w = np.ones((1, 1, 3, 3))
    # 3x3 stamps at offsets 0 and 2 overlap on row/col 2; the full 5x5 result is
    # [[1,1,3,2,2],[1,1,3,2,2],[4,4,10,6,6],[3,3,7,4,4],[3,3,7,4,4]]
    full = K.conv_transpose(
        x,
        weight=w,
        bias=None,
        stride=(2, 2),
        padding=(0, 0),
        output_padding=(0, 0),
        dilation=(1, 1),
        groups=1,
    )
    np.testing.assert_array_equal(full[0, 0, 2], [4, 4, 10, 6, 6])
    # padding 1 crops one cell per side: out = (2-1)*2 - 2 + 2 + 0 + 1 = 3
    y = K.conv_transpose(
        x,
        weight=w,
        bias=None,
        stride=(2, 2),
        padding=(1, 1),
        output_padding=(0, 0),
        dilation=(1, 1),
        groups=1,
    )
    np.testing.assert_array_equal(y[0, 0], [[1, 3, 2], [4, 10, 6], [3, 7, 4]])
    # output_padding 1 keeps one more row/col at the far end: out = 4
    y = K.conv_transpose(
        x,
        weight=w,
        bias=arr([0.5]),
        stride=(2, 2),
        padding=(1, 1),
        output_padding=(1, 1),
        dilation=(1, 1),
        groups=1,
    )
    expected = arr([[1, 3, 2, 2], [4, 10, 6, 6], [3, 7, 4, 4], [3, 7, 4, 4]]) + 0.5
    np.testing.assert_array_equal(y[0, 0], expected)


@pytest.mark.parametrize(
    ("c", "fg", "groups", "k", "stride", "padding", "output_padding", "dilation"),
    [
        (2, 3, 1, (3, 3), (2, 2), (1, 1), (1, 1), (1, 1)),
        (4, 1, 4, (2, 3), (2, 1), (0, 1), (1, 0), (1, 2)),
        (4, 2, 2, (3, 2), (3, 2), (2, 0), (2, 1), (2, 1)),
    ],
)
def test_conv_transpose_matches_naive_scatter(c, fg, groups, k, stride, padding, output_padding, dilation):
    x = RNG.integers(-3, 4, size=(2, c, 3, 4)).astype(np.float64)
    w = RNG.integers(-3, 4, size=(c, fg, *k)).astype(np.float64)
    b = RNG.integers(-3, 4, size=groups * fg).astype(np.float64)
    y = K.conv_transpose(
        x,
        weight=w,
        bias=b,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
    )
    expected = naive_conv_transpose2d(x, w, b, stride, padding, output_padding, dilation, groups)
    np.testing.assert_array_equal(y, expected)


def test_conv_transpose1d_and_3d_shapes():
    # out = (L-1)*s - 2p + d*(k-1) + op + 1
    y = K.conv_transpose(
        np.ones((1, 2, 5)),
        weight=np.ones((2, 3, 4)),
        bias=None,
        stride=(3,),
        padding=(1,),
        output_padding=(2,),
        dilation=(1,),
        groups=1,
    )
    assert y.shape == (1, 3, 4 * 3 - 2 + 3 + 2 + 1)
    y = K.conv_transpose(
        np.ones((1, 2, 2, 3, 4)),
        weight=np.ones((2, 1, 2, 2, 2)),
        bias=None,
        stride=(2, 2, 2),
        padding=(0, 0, 0),
        output_padding=(0, 0, 0),
        dilation=(1, 1, 1),
        groups=2,
    )
    assert y.shape == (1, 2, 4, 6, 8)
    # stride = kernel = 2 tiles without overlap: every output cell receives exactly one product
    assert np.all(y == 1)


# ---------------------------------------------------------------------------------------------
# pooling

X4 = arr([[1, 5, 2, 0], [3, 4, 8, 1], [0, 2, 7, 6], [9, 1, 3, 5]], (1, 1, 4, 4))


def test_max_pool_2x2_blocks():
    y = K.max_pool(X4, size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=False)
    # blocks {1,5,3,4} {2,0,8,1} {0,2,9,1} {7,6,3,5}
    np.testing.assert_array_equal(y[0, 0], [[5, 8], [9, 7]])


def test_max_pool_pads_with_minus_infinity():
    x = -arr([[1, 2], [3, 4]], (1, 1, 2, 2))
    # every 3x3 window (padding 1) covers all four cells, so the max is -1, never a 0 pad
    y = K.max_pool(x, size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1), ceil_mode=False)
    np.testing.assert_array_equal(y[0, 0], [[-1, -1], [-1, -1]])


def test_max_pool1d_dilation():
    x = arr([1, 9, 2, 8, 3, 7, 4], (1, 1, 7))
    # window {i, i+3}: max(1,8), max(9,3), max(2,7), max(8,4)
    y = K.max_pool(x, size=(2,), stride=(1,), padding=(0,), dilation=(3,), ceil_mode=False)
    np.testing.assert_array_equal(y[0, 0], [8, 9, 7, 8])


def test_pool_ceil_mode_adds_a_partial_window():
    x = arr([1, 2, 3, 4, 5], (1, 1, 5))
    # floor: (5-2)//2 + 1 = 2 windows; ceil: ceil(3/2) + 1 = 3, the last one is {5} alone
    y = K.max_pool(x, size=(2,), stride=(2,), padding=(0,), dilation=(1,), ceil_mode=False)
    np.testing.assert_array_equal(y[0, 0], [2, 4])
    y = K.max_pool(x, size=(2,), stride=(2,), padding=(0,), dilation=(1,), ceil_mode=True)
    np.testing.assert_array_equal(y[0, 0], [2, 4, 5])
    # the partial window divides by the one cell it has, not by 2
    for cip in (True, False):
        y = K.avg_pool(x, size=(2,), stride=(2,), padding=(0,), ceil_mode=True, count_include_pad=cip)
        np.testing.assert_array_equal(y[0, 0], [1.5, 3.5, 5])


def test_pool_ceil_mode_drops_a_window_starting_in_right_padding():
    x = arr([1, 2, 3, 4, 5], (1, 1, 5))
    # L=5, k=2, s=2, p=1: ceil((5+2-2)/2) + 1 = 4, but the 4th window would start at
    # (4-1)*2 - 1 = 5, inside the right padding ((4-1)*2 >= L + p), so PyTorch keeps 3 windows
    # starting at -1, 1, 3
    y = K.max_pool(x, size=(2,), stride=(2,), padding=(1,), dilation=(1,), ceil_mode=True)
    np.testing.assert_array_equal(y[0, 0], [1, 3, 5])


def test_avg_pool_padding_count_include_pad_both_ways():
    x = arr([[1, 2, 3], [4, 5, 6], [7, 8, 9]], (1, 1, 3, 3))
    # k=2, s=2, p=1: windows rows/cols {-1,0} and {1,2}
    # sums: {1}=1, {2,3}=5, {4,7}=11, {5,6,8,9}=28; cells inside: 1, 2, 2, 4
    y = K.avg_pool(x, size=(2, 2), stride=(2, 2), padding=(1, 1), ceil_mode=False, count_include_pad=True)
    np.testing.assert_array_equal(y[0, 0], [[1 / 4, 5 / 4], [11 / 4, 28 / 4]])
    y = K.avg_pool(x, size=(2, 2), stride=(2, 2), padding=(1, 1), ceil_mode=False, count_include_pad=False)
    np.testing.assert_array_equal(y[0, 0], [[1, 5 / 2], [11 / 2, 7]])


def test_avg_pool_ceil_mode_divisor_stops_at_the_padded_extent():
    x = arr([1, 2, 3, 4, 5, 6], (1, 1, 6))
    # L=6, k=3, s=2, p=1, ceil: 4 windows starting -1, 1, 3, 5. The last covers {6, pad, beyond}:
    # count_include_pad counts the pad cell (inside [-1, 7)) but not the one beyond: 6/2 = 3
    y = K.avg_pool(x, size=(3,), stride=(2,), padding=(1,), ceil_mode=True, count_include_pad=True)
    np.testing.assert_array_equal(y[0, 0], [3 / 3, 9 / 3, 15 / 3, 6 / 2])
    y = K.avg_pool(x, size=(3,), stride=(2,), padding=(1,), ceil_mode=True, count_include_pad=False)
    np.testing.assert_array_equal(y[0, 0], [3 / 2, 9 / 3, 15 / 3, 6 / 1])


def test_adaptive_avg_pool_bins():
    x = arr([1, 2, 3, 4, 5], (1, 1, 5))
    # L=5 -> 3 bins [floor(5i/3), ceil(5(i+1)/3)): [0,2) [1,4) [3,5), overlapping
    y = K.adaptive_avg_pool(x, output_size=(3,))
    np.testing.assert_allclose(y[0, 0], [1.5, 3, 4.5])
    y = K.adaptive_avg_pool(X4, output_size=(2, 2))  # even split = 2x2 average pooling
    np.testing.assert_allclose(y[0, 0], [[13 / 4, 11 / 4], [12 / 4, 21 / 4]])
    y = K.adaptive_avg_pool(X4, output_size=(1, 1))
    np.testing.assert_allclose(y, K.global_avg_pool(X4))


def test_global_pools_keep_singleton_axes():
    x = RNG.standard_normal((2, 3, 4, 5, 6))
    assert K.global_avg_pool(x).shape == (2, 3, 1, 1, 1)
    np.testing.assert_allclose(K.global_avg_pool(x)[..., 0, 0, 0], x.mean(axis=(2, 3, 4)))
    np.testing.assert_array_equal(K.global_max_pool(x)[..., 0, 0, 0], x.max(axis=(2, 3, 4)))


# ---------------------------------------------------------------------------------------------
# upsampling


def test_bilinear_2x2_to_4x4_half_pixel():
    x = arr([[1, 2], [3, 4]], (1, 1, 2, 2))
    # src = (dst + 0.5) * 2/4 - 0.5 = -0.25 -> 0, 0.25, 0.75, 1.25 (-> index 1, clamped)
    # along a row [a, b]: a, 0.75a + 0.25b, 0.25a + 0.75b, b
    expected = [
        [1, 1.25, 1.75, 2],
        [1.5, 1.75, 2.25, 2.5],
        [2.5, 2.75, 3.25, 3.5],
        [3, 3.25, 3.75, 4],
    ]
    y = K.upsample_linear(x, size=(4, 4), align_corners=False)
    np.testing.assert_allclose(y[0, 0], expected)
    y = K.upsample_linear(x, size=(4, 4), align_corners=False, scales=(2.0, 2.0))
    np.testing.assert_allclose(y[0, 0], expected)


def test_linear_uses_the_scale_factor_when_given():
    x = arr([0, 1, 2], (1, 1, 3))  # value = index, so the output shows the source position
    # size only: scale = 3/4; src = (dst+0.5)*0.75 - 0.5 = -0.125->0, 0.625, 1.375, 2.125->2
    y = K.upsample_linear(x, size=(4,))
    np.testing.assert_allclose(y[0, 0], [0, 0.625, 1.375, 2])
    # scale_factor 1.5 gives the same size 4 but PyTorch uses 1/1.5: 0, 0.5, 7/6, 11/6
    y = K.upsample_linear(x, size=(4,), scales=(1.5,))
    np.testing.assert_allclose(y[0, 0], [0, 0.5, 7 / 6, 11 / 6])


def test_linear_to_the_same_size_is_a_new_array():
    # PyTorch copies when every size matches; returning x itself made verify's live memory differ
    # from the liveness pass (found by the property test: upsample scale 1 on (1, 3))
    x = arr([0, 1, 2], (1, 1, 3))
    y = K.upsample_linear(x, size=(3,))
    assert y is not x and not np.shares_memory(x, y)
    np.testing.assert_array_equal(y, x)


def test_linear_align_corners():
    x = arr([0, 3], (1, 1, 2))
    # align_corners: src = dst * (2-1)/(4-1) = 0, 1/3, 2/3, 1
    y = K.upsample_linear(x, size=(4,), align_corners=True)
    np.testing.assert_allclose(y[0, 0], [0, 1, 2, 3])


def test_trilinear_of_a_linear_ramp_is_the_ramp():
    d, h, w = np.meshgrid(np.arange(3.0), np.arange(4.0), np.arange(5.0), indexing="ij")
    x = (d + 2 * h + 3 * w)[None, None]
    y = K.upsample_linear(x, size=(6, 8, 10), align_corners=True)
    # align_corners maps dst to src = dst * (L-1)/(O-1) exactly, and linear data stays linear
    dd, hh, ww = np.meshgrid(np.arange(6) * 2 / 5, np.arange(8) * 3 / 7, np.arange(10) * 4 / 9, indexing="ij")
    np.testing.assert_allclose(y[0, 0], dd + 2 * hh + 3 * ww, atol=1e-12)


def test_nearest_indices():
    x = arr([0, 1, 2], (1, 1, 3))
    # src = floor(dst * 3/7): 0,0,0,1,1,2,2
    np.testing.assert_array_equal(K.upsample_nearest(x, size=(7,))[0, 0], [0, 0, 0, 1, 1, 2, 2])
    # 3 -> 2: floor(dst * 1.5) = 0, 1
    np.testing.assert_array_equal(K.upsample_nearest(x, size=(2,))[0, 0], [0, 1])
    # 1-D with scale_factor 2.25 (3 -> 6): floor(dst / 2.25) = 0,0,0,1,1,2
    y = K.upsample_nearest(x, size=(6,), scales=(2.25,))
    np.testing.assert_array_equal(y[0, 0], [0, 0, 0, 1, 1, 2])


def test_nearest_2d_small_output_shortcut_of_pytorch():
    # PyTorch's 2-D kernel for H + W <= 128 treats out == 2L as dst >> 1 even when the scale
    # factor says otherwise (3 -> 6 with scale 2.25 gives 0,0,1,1,2,2, not 0,0,0,1,1,2)
    x = arr([0, 1, 2], (1, 1, 1, 3))
    y = K.upsample_nearest(x, size=(1, 6), scales=(1.0, 2.25))
    np.testing.assert_array_equal(y[0, 0, 0], [0, 0, 1, 1, 2, 2])


def test_nearest_2x_repeats_each_pixel():
    x = RNG.standard_normal((2, 3, 4, 5))
    y = K.upsample_nearest(x, size=(8, 10), scales=(2.0, 2.0))
    np.testing.assert_array_equal(y, x.repeat(2, axis=2).repeat(2, axis=3))


# ---------------------------------------------------------------------------------------------
# normalization and dense


def test_batchnorm_with_given_statistics():
    x = arr([[3, 5], [2.5, 1]], (1, 2, 1, 2))
    mean, var = arr([1, 2]), arr([4, 0.25])
    weight, bias = arr([2, 1]), arr([0, 1])
    # channel 0: (x-1)/2*2 = 2, 4; channel 1: (x-2)/0.5 + 1 = 2, -1
    y = K.batchnorm(x, mean=mean, var=var, weight=weight, bias=bias, eps=0.0)
    np.testing.assert_allclose(y.reshape(2, 2), [[2, 4], [2, -1]])
    y = K.batchnorm(x, mean=mean, var=var, weight=None, bias=None, eps=1e-5)
    np.testing.assert_allclose(
        y.reshape(2, 2),
        [
            [2 / math.sqrt(4 + 1e-5), 4 / math.sqrt(4 + 1e-5)],
            [0.5 / math.sqrt(0.25 + 1e-5), -1 / math.sqrt(0.25 + 1e-5)],
        ],
    )
    # (N, C) input from a dense layer
    y = K.batchnorm(arr([[3, 2.5]]), mean=mean, var=var, weight=weight, bias=bias, eps=0.0)
    np.testing.assert_allclose(y, [[2, 2]])


def test_layernorm_over_last_axis():
    x = arr([[1, 2, 3, 4], [2, 2, 2, 2]], (2, 1, 4))
    # mean 2.5, biased variance (2.25+0.25+0.25+2.25)/4 = 1.25
    y = K.layernorm(x[:1], weight=None, bias=None, eps=0.0)
    np.testing.assert_allclose(y[0, 0], (arr([1, 2, 3, 4]) - 2.5) / math.sqrt(1.25))
    y = K.layernorm(x, weight=arr([1, 1, 1, 2]), bias=arr([0, 0, 1, 0]), eps=1e-5)
    np.testing.assert_allclose(y[1, 0], [0, 0, 1, 0])  # constant row -> 0, then the bias


def test_dense_acts_on_last_axis_with_torch_weight_layout():
    x = arr([[1, 2, 3], [4, 5, 6]], (1, 2, 3))
    w = arr([[1, 0, 0], [0, 1, 1]])  # (units, in)
    y = K.dense(x, weight=w, bias=arr([0, 10]))
    np.testing.assert_array_equal(y, arr([[1, 15], [4, 21]], (1, 2, 2)))
    np.testing.assert_array_equal(K.dense(x, weight=w, bias=None), y - arr([0, 10]))


# ---------------------------------------------------------------------------------------------
# activations


def test_erf_against_math_erf():
    xs = np.concatenate([np.linspace(-6, 6, 4001), [0.0, 1.0, -1.0, 8.0, -8.0, 30.0, np.inf]])
    expected = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(K.erf(xs), expected, rtol=1e-14, atol=1e-16)


def test_gelu_exact_and_tanh():
    xs = arr([-3, -1, -0.5, 0, 0.5, 1, 3])
    exact = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in xs]
    np.testing.assert_allclose(K.gelu(xs), exact, rtol=1e-14, atol=1e-16)
    c = math.sqrt(2 / math.pi)
    approx = [0.5 * v * (1 + math.tanh(c * (v + 0.044715 * v**3))) for v in xs]
    np.testing.assert_allclose(K.gelu(xs, approximate="tanh"), approx, rtol=1e-14)
    with pytest.raises(ValueError, match="approximate"):
        K.gelu(xs, approximate="fast")


def test_activation_known_values():
    x = arr([-1000, -3, -1, 0, 1, 3, 7])
    np.testing.assert_array_equal(K.relu(x), [0, 0, 0, 0, 1, 3, 7])
    np.testing.assert_array_equal(K.relu6(x), [0, 0, 0, 0, 1, 3, 6])
    np.testing.assert_allclose(K.leaky_relu(x, negative_slope=0.1), [-100, -0.3, -0.1, 0, 1, 3, 7])
    np.testing.assert_allclose(K.sigmoid(x)[[0, 3]], [0, 0.5])
    np.testing.assert_allclose(K.sigmoid(x)[4], 1 / (1 + math.exp(-1)))
    np.testing.assert_allclose(K.tanh(x)[4], math.tanh(1))
    np.testing.assert_allclose(K.silu(x)[[0, 3, 4]], [0, 0, 1 / (1 + math.exp(-1))])
    np.testing.assert_allclose(K.elu(x, alpha=2.0)[[2, 4]], [2 * (math.exp(-1) - 1), 1])
    # hardswish = x * relu6(x + 3) / 6: -3 -> 0, 1 -> 4/6, 3 -> 3
    np.testing.assert_allclose(K.hardswish(x)[[1, 3, 4, 5]], [0, 0, 4 / 6, 3])
    np.testing.assert_allclose(K.hardsigmoid(x)[[1, 3, 4, 5]], [0, 0.5, 4 / 6, 1])


def test_softmax():
    x = arr([[0, math.log(3)], [1000, 1000]], (2, 2))
    y = K.softmax(x, axis=-1)
    np.testing.assert_allclose(y, [[0.25, 0.75], [0.5, 0.5]])
    z = K.softmax(RNG.standard_normal((2, 5, 3, 4)) * 10, axis=1)
    np.testing.assert_allclose(z.sum(axis=1), 1.0)


# ---------------------------------------------------------------------------------------------
# the rest


def test_dropout():
    x = np.ones((100, 100), dtype=np.float32)
    assert K.dropout(x, rate=0.5, training=False) is x
    y = K.dropout(x, rate=0.25, training=True, rng=np.random.default_rng(0))
    assert y.dtype == np.float32
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75)  # inverted scaling keeps the expectation
    assert abs(kept.mean() - 0.75) < 0.02  # 10,000 Bernoulli(0.75) draws: sd 0.0043
    np.testing.assert_array_equal(K.dropout(x, rate=1.0, training=True), 0)


def test_channel_shuffle():
    x = arr(range(6), (1, 6, 1, 1))
    # (g, C/g) -> (C/g, g): g=2 reads channels 0,3,1,4,2,5; g=3 reads 0,2,4,1,3,5
    np.testing.assert_array_equal(K.channel_shuffle(x, groups=2).ravel(), [0, 3, 1, 4, 2, 5])
    np.testing.assert_array_equal(K.channel_shuffle(x, groups=3).ravel(), [0, 2, 4, 1, 3, 5])


@pytest.mark.parametrize(("n", "t", "d", "heads"), [(2, 4, 8, 2), (1, 5, 6, 3), (2, 3, 4, 1)])
def test_attention_matches_naive_per_head(n, t, d, heads):
    x = RNG.standard_normal((n, t, d))
    w_in, b_in = RNG.standard_normal((3 * d, d)), RNG.standard_normal(3 * d)
    w_out, b_out = RNG.standard_normal((d, d)), RNG.standard_normal(d)
    y = K.attention(
        x, in_proj_weight=w_in, in_proj_bias=b_in, out_proj_weight=w_out, out_proj_bias=b_out, heads=heads
    )
    np.testing.assert_allclose(y, naive_attention(x, w_in, b_in, w_out, b_out, heads), rtol=1e-12, atol=1e-12)
    # bias=False in the spec: no biases at all
    y0 = K.attention(
        x, in_proj_weight=w_in, in_proj_bias=None, out_proj_weight=w_out, out_proj_bias=None, heads=heads
    )
    expected = naive_attention(x, w_in, np.zeros(3 * d), w_out, np.zeros(d), heads)
    np.testing.assert_allclose(y0, expected, rtol=1e-12, atol=1e-12)


def test_every_kernel_keeps_float32():
    f = np.float32
    x4 = RNG.standard_normal((2, 4, 6, 6)).astype(f)
    tokens = RNG.standard_normal((2, 3, 4)).astype(f)
    w64 = RNG.standard_normal  # float64 weights must not upcast the result
    outs = {
        "conv": K.conv(
            x4,
            weight=w64((4, 2, 3, 3)),
            bias=w64(4),
            stride=(1, 1),
            padding=((1, 1), (1, 1)),
            dilation=(1, 1),
            groups=2,
        ),
        "conv_transpose": K.conv_transpose(
            x4,
            weight=w64((4, 1, 2, 2)),
            bias=w64(2),
            stride=(2, 2),
            padding=(0, 0),
            output_padding=(0, 0),
            dilation=(1, 1),
            groups=2,
        ),
        "max_pool": K.max_pool(
            x4, size=(2, 2), stride=(2, 2), padding=(1, 1), dilation=(1, 1), ceil_mode=True
        ),
        "avg_pool": K.avg_pool(
            x4, size=(3, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True, count_include_pad=False
        ),
        "adaptive_avg_pool": K.adaptive_avg_pool(x4, output_size=(4, 5)),
        "global_avg_pool": K.global_avg_pool(x4),
        "global_max_pool": K.global_max_pool(x4),
        "upsample_nearest": K.upsample_nearest(x4, size=(9, 13)),
        "upsample_linear": K.upsample_linear(x4, size=(9, 13), scales=(1.5, 2.2)),
        "batchnorm": K.batchnorm(x4, mean=w64(4), var=np.ones(4), weight=w64(4), bias=w64(4), eps=1e-5),
        "layernorm": K.layernorm(tokens, weight=w64(4), bias=w64(4), eps=1e-5),
        "dense": K.dense(tokens, weight=w64((5, 4)), bias=w64(5)),
        "relu": K.relu(x4),
        "relu6": K.relu6(x4),
        "leaky_relu": K.leaky_relu(x4, negative_slope=0.2),
        "sigmoid": K.sigmoid(x4),
        "tanh": K.tanh(x4),
        "softmax": K.softmax(x4, axis=1),
        "gelu": K.gelu(x4),
        "gelu_tanh": K.gelu(x4, approximate="tanh"),
        "silu": K.silu(x4),
        "elu": K.elu(x4, alpha=0.5),
        "hardswish": K.hardswish(x4),
        "hardsigmoid": K.hardsigmoid(x4),
        "dropout": K.dropout(x4, rate=0.3, training=True, rng=np.random.default_rng(0)),
        "channel_shuffle": K.channel_shuffle(x4, groups=2),
        "attention": K.attention(
            tokens,
            in_proj_weight=w64((12, 4)),
            in_proj_bias=w64(12),
            out_proj_weight=w64((4, 4)),
            out_proj_bias=w64(4),
            heads=2,
        ),
    }
    wrong = {name: y.dtype for name, y in outs.items() if y.dtype != f}
    assert wrong == {}


def padded_windows_conv(x, w, stride, padding, dilation, groups):
    """The plain reference: np.pad (a crop first for negative amounts), every window, one einsum."""
    nd = w.ndim - 2
    crop = tuple(
        slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape[2:], padding, strict=True)
    )
    xp = np.pad(
        x[(slice(None), slice(None), *crop)],
        [(0, 0), (0, 0)] + [(max(lo, 0), max(hi, 0)) for lo, hi in padding],
    )
    spans = tuple(d * (k - 1) + 1 for k, d in zip(w.shape[2:], dilation, strict=True))
    view = np.lib.stride_tricks.sliding_window_view(xp, spans, axis=tuple(range(2, 2 + nd)))
    view = view[
        (
            slice(None),
            slice(None),
            *(slice(None, None, s) for s in stride),
            *(slice(None, None, d) for d in dilation),
        )
    ]
    n, c = x.shape[:2]
    f, cg = w.shape[:2]
    xs = view.reshape(n, groups, cg, *view.shape[2:])
    ws = w.reshape(groups, f // groups, cg, *w.shape[2:])
    letters = "ijk"[:nd]
    kernel = "uvw"[:nd]
    y = np.einsum(f"ngc{letters}{kernel},gfc{kernel}->ngf{letters}", xs, ws)
    return y.reshape(n, f, *y.shape[3:])


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("rows", [1, 2, None])  # conv_rows' blocks: one row, two, the whole output
def test_conv_without_a_padded_copy_equals_pad_then_windows(nd, groups, rows, monkeypatch):
    if rows is not None:  # blocks of `rows` rows of the first output axis (conv_rows)
        real = K.conv_rows
        monkeypatch.setattr(K, "conv_rows", lambda *a: min(rows, real(*a)))
    spatial = {1: (9,), 2: (7, 6), 3: (5, 4, 6)}[nd]
    x = RNG.integers(-3, 4, size=(2, 4, *spatial)).astype(np.float64)
    pads = [(0, 0), (1, 1), (2, 0), (0, 3), (-1, 2), (3, -2), (-1, -1), (4, 4)]
    count = 0
    for k, s, d in itertools.product((1, 2, 3), (1, 2, 3), (1, 2)):
        w = RNG.integers(-3, 4, size=(4, 4 // groups, *(k,) * nd)).astype(np.float64)
        for i in range(len(pads)):
            padding = [pads[(i + a) % len(pads)] for a in range(nd)]  # mixed pairs across axes
            sizes = [n + lo + hi - d * (k - 1) for n, (lo, hi) in zip(spatial, padding, strict=True)]
            if min(sizes) < 1:
                continue
            y = K.conv(x, w, None, (s,) * nd, padding, (d,) * nd, groups)
            expected = padded_windows_conv(x, w, (s,) * nd, padding, (d,) * nd, groups)
            assert y.shape == expected.shape, (k, s, d, padding)
            np.testing.assert_array_equal(y, expected, err_msg=f"{k=} {s=} {d=} {padding=}")
            count += 1
    assert count > 100


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_pool_without_a_padded_copy_equals_pad_then_windows(nd):
    spatial = {1: (9,), 2: (7, 6), 3: (5, 4, 6)}[nd]
    x = RNG.standard_normal((2, 3, *spatial))
    count = 0
    for k, s, p, d, ceil in itertools.product((1, 2, 3), (1, 2, 3), (0, 1), (1, 2), (False, True)):
        if p > k // 2 or any(n + 2 * p < d * (k - 1) + 1 for n in spatial):  # PyTorch refuses these
            continue
        y = K.max_pool(x, (k,) * nd, (s,) * nd, (p,) * nd, (d,) * nd, ceil)
        out = y.shape[2:]
        hi = [max((o - 1) * s + d * (k - 1) + 1 - p - n, 0) for o, n in zip(out, spatial, strict=True)]
        xp = np.pad(x, [(0, 0), (0, 0)] + [(p, h) for h in hi], constant_values=-np.inf)
        view = np.lib.stride_tricks.sliding_window_view(
            xp, (d * (k - 1) + 1,) * nd, axis=tuple(range(2, 2 + nd))
        )
        view = view[
            (
                slice(None),
                slice(None),
                *(slice(0, (o - 1) * s + 1, s) for o in out),
                *(slice(None, None, d),) * nd,
            )
        ]
        expected = view.max(axis=tuple(range(-nd, 0)))
        np.testing.assert_array_equal(y, expected, err_msg=f"{k=} {s=} {p=} {d=} {ceil=}")
        count += 1
    assert count > 40
