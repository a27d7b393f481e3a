using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// The Vector128 products of <see cref="WinogradConv"/> (SSE on x64, AdvSimd on ARM64: <see cref="KernelDispatch.RuntimeBits"/> 128,
/// <see cref="KernelDispatch.Level"/> 0): the input transform 4 tiles a vector, the products with output channels in the lanes (8 in
/// two vectors) and the output transform 4 channels a vector. The same operations in the same order as the scalar path, so its
/// bits wherever the hardware fuses the multiply-add.
/// </summary>
public static unsafe partial class WinogradConv
{
    // M[ξ] = V[ξ]ᵀ U[ξ] in strips of up to 4 tiles × 8 output channels (8 accumulators of x64's 16 xmm registers), ξ outermost.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Products128(in Call run)
    {
        int cin = run.Shape.Channels, tiles = run.Shape.TileColumns, pad = run.Shape.OutPad, tp = run.TilePad;
        for (int xi = 0; xi < 16; xi++)
        {
            float* v = run.V + ((nint)xi * run.VStep), u = run.Weights + ((nint)xi * cin * pad), m = run.M + ((nint)xi * run.MStep);
            for (int o = 0; o < pad; o += 8)
            {
                for (int t0 = 0; t0 < tiles; t0 += 4)
                {
                    int n = tiles - t0 < 4 ? tiles - t0 : 4;
                    Vector128<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
                    float* vt = v + t0, wk = u + o;
                    for (int c = 0; c < cin; c++, vt += tp, wk += pad)
                    {
                        Vector128<float> w0 = Vector128.Load(wk), w1 = Vector128.Load(wk + 4), b = Vector128.Create(vt[0]);
                        a00 = Simd.Fma(b, w0, a00); a01 = Simd.Fma(b, w1, a01);
                        if (n > 1)
                        {
                            b = Vector128.Create(vt[1]);
                            a10 = Simd.Fma(b, w0, a10); a11 = Simd.Fma(b, w1, a11);
                        }

                        if (n > 2)
                        {
                            b = Vector128.Create(vt[2]);
                            a20 = Simd.Fma(b, w0, a20); a21 = Simd.Fma(b, w1, a21);
                        }

                        if (n > 3)
                        {
                            b = Vector128.Create(vt[3]);
                            a30 = Simd.Fma(b, w0, a30); a31 = Simd.Fma(b, w1, a31);
                        }
                    }

                    float* mt = m + ((nint)t0 * pad) + o;
                    Vector128.Store(a00, mt); Vector128.Store(a01, mt + 4);
                    if (n > 1) { Vector128.Store(a10, mt + pad); Vector128.Store(a11, mt + pad + 4); }
                    if (n > 2) { Vector128.Store(a20, mt + (2 * pad)); Vector128.Store(a21, mt + (2 * pad) + 4); }
                    if (n > 3) { Vector128.Store(a30, mt + (3 * pad)); Vector128.Store(a31, mt + (3 * pad) + 4); }
                }
            }
        }
    }

    // Y = Aᵀ M A and the epilogue as OutputRowScalar, 4 output channels a vector (the same operations in the same order per lane).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OutputRow128<TAct>(TAct act, in Call run)
        where TAct : struct, IActivationOperator
    {
        int tiles = run.Shape.TileColumns, pad = run.Shape.OutPad;
        nint step = run.MStep, below = (nint)run.Pixels * pad;
        for (int t = 0; t < tiles; t++)
        {
            float* m = run.M + ((nint)t * pad), at = run.Stage + ((nint)(2 * t) * pad);
            for (int o = 0; o < pad; o += 4, m += 4, at += 4)
            {
                Vector128<float> s0 = Vector128.Load(m) + Vector128.Load(m + (4 * step)) + Vector128.Load(m + (8 * step));
                Vector128<float> s1 = Vector128.Load(m + step) + Vector128.Load(m + (5 * step)) + Vector128.Load(m + (9 * step));
                Vector128<float> s2 = Vector128.Load(m + (2 * step)) + Vector128.Load(m + (6 * step)) + Vector128.Load(m + (10 * step));
                Vector128<float> s3 = Vector128.Load(m + (3 * step)) + Vector128.Load(m + (7 * step)) + Vector128.Load(m + (11 * step));
                Vector128<float> d0 = Vector128.Load(m + (4 * step)) - Vector128.Load(m + (8 * step)) - Vector128.Load(m + (12 * step));
                Vector128<float> d1 = Vector128.Load(m + (5 * step)) - Vector128.Load(m + (9 * step)) - Vector128.Load(m + (13 * step));
                Vector128<float> d2 = Vector128.Load(m + (6 * step)) - Vector128.Load(m + (10 * step)) - Vector128.Load(m + (14 * step));
                Vector128<float> d3 = Vector128.Load(m + (7 * step)) - Vector128.Load(m + (11 * step)) - Vector128.Load(m + (15 * step));
                Vector128<float> a = Vector128.Load(run.Scale + o), h = Vector128.Load(run.Shift + o);
                Vector128.Store(act.Invoke(Simd.Fma(s0 + s1 + s2, a, h)), at);
                Vector128.Store(act.Invoke(Simd.Fma(s1 - s2 - s3, a, h)), at + pad);
                Vector128.Store(act.Invoke(Simd.Fma(d0 + d1 + d2, a, h)), at + below);
                Vector128.Store(act.Invoke(Simd.Fma(d1 - d2 - d3, a, h)), at + below + pad);
            }
        }
    }

    // V[ξ][c][tile] = Bᵀ d B as InputRowScalar (the same operations in the same order per lane), 4 tiles a vector: the rows' columns
    // 2t + s of 4 tiles unzipped from two loads each. The row buffer (RowLength = 2·TilePad + 32 floats, zeros past the plane)
    // covers the loads of the last group of 4 tiles; its tiles past the row land in V's padding and are never read.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputRow128(in Call run, int ty)
    {
        int cin = run.Shape.Channels, tiles = run.Shape.TileColumns, len = run.Shape.RowLength;
        nint step = run.VStep;
        for (int c = 0; c < cin; c++)
        {
            CopyRows(in run, ty, c);
            float* v = run.V + ((nint)c * run.TilePad);
            for (int t = 0; t < tiles; t += 4)
            {
                float* r = run.Rows + (2 * t);
                Columns4(r, out var r00, out var r01, out var r02, out var r03);
                Columns4(r + len, out var r10, out var r11, out var r12, out var r13);
                Columns4(r + (2 * len), out var r20, out var r21, out var r22, out var r23);
                Columns4(r + (3 * len), out var r30, out var r31, out var r32, out var r33);
                Transform4(v + t, step, 0, r00 - r20, r01 - r21, r02 - r22, r03 - r23);
                Transform4(v + t, step, 4, r10 + r20, r11 + r21, r12 + r22, r13 + r23);
                Transform4(v + t, step, 8, r20 - r10, r21 - r11, r22 - r12, r23 - r13);
                Transform4(v + t, step, 12, r10 - r30, r11 - r31, r12 - r32, r13 - r33);
            }
        }
    }

    // Columns 2t + s (s = 0…3) of 4 tiles from the row at `at` (column 2t).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns4(float* at, out Vector128<float> e0, out Vector128<float> e1, out Vector128<float> e2, out Vector128<float> e3)
    {
        (e0, e1) = ConvHelpers.Unzip(Vector128.Load(at), Vector128.Load(at + 4));
        (e2, e3) = ConvHelpers.Unzip(Vector128.Load(at + 2), Vector128.Load(at + 6));
    }

    // One row i of d = Bᵀ rows (its columns e0…e3) times B into V[4i … 4i + 3].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transform4(float* v, nint step, int xi, Vector128<float> e0, Vector128<float> e1, Vector128<float> e2, Vector128<float> e3)
    {
        Vector128.Store(e0 - e2, v + (xi * step));
        Vector128.Store(e1 + e2, v + ((xi + 1) * step));
        Vector128.Store(e2 - e1, v + ((xi + 2) * step));
        Vector128.Store(e1 - e3, v + ((xi + 3) * step));
    }

    // The stage's [x][pad] row to the output planes for the whole blocks of 4 channels: 4 × 4 blocks transposed in registers (the
    // last 4 columns overlap the block before when the width is not a multiple of 4: written twice, same values). Returns the
    // first channel left to WriteRows' element-by-element scatter.
    private static int Transpose128(float* stage, int pad, float* y, int plane, int cout, int ow)
    {
        int o0 = 0;
        for (; o0 + 4 <= cout; o0 += 4)
        {
            for (int x0 = 0; x0 < ow; x0 += 4)
            {
                int at = Math.Min(x0, ow - 4);
                float* s = stage + ((nint)at * pad) + o0;
                (Vector128<float> e01, Vector128<float> o01) = ConvHelpers.Unzip(Vector128.Load(s), Vector128.Load(s + pad));
                (Vector128<float> e23, Vector128<float> o23) = ConvHelpers.Unzip(Vector128.Load(s + (2 * pad)), Vector128.Load(s + (3 * pad)));
                (Vector128<float> c0, Vector128<float> c2) = ConvHelpers.Unzip(e01, e23);
                (Vector128<float> c1, Vector128<float> c3) = ConvHelpers.Unzip(o01, o23);
                float* yo = y + ((nint)o0 * plane) + at;
                Vector128.Store(c0, yo);
                Vector128.Store(c1, yo + plane);
                Vector128.Store(c2, yo + (2 * (nint)plane));
                Vector128.Store(c3, yo + (3 * (nint)plane));
            }
        }

        return o0;
    }
}
