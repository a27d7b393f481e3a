using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>Moving one sample between NCHW planes and the padded-width grid.</content>
public sealed unsafe partial class Conv2dTrainer
{
    /// <summary>
    /// output[o][oy·OW + ox] = grid[o·planeStride + oy·rowStride + ox] + bias[o] for the valid columns; Σ and Σ² of the grid values
    /// per channel are added to <paramref name="sums"/> [0 … OC) and [OC … 2·OC). The padded-width grid (planes of Qp, rows of Wp),
    /// or the Winograd product already in NCHW (then <paramref name="grid"/> may be <paramref name="output"/>: each value is read
    /// before it is written). <paramref name="rows"/> × <paramref name="width"/> values a plane: OH × OW, or 1 × OH·OW for NCHW
    /// planes, which are then taken as one row (on 14-pixel rows, 6 of each row's 14 values went through the scalar tail).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CropForward(ref float grid, int planeStride, int rowStride, ref float output, Span<double> sums, int rows, int width)
    {
        bool vector = KernelDispatch.Level >= 1, wide = KernelDispatch.Level >= 2;
        if (vector && !wide)
        {
            CropForward256(ref grid, planeStride, rowStride, ref output, sums, rows, width, _oc, _bias);
            return;
        }

        if (KernelDispatch.RuntimeBits == 128)
        {
            CropForward128(ref grid, planeStride, rowStride, ref output, sums, rows, width, _oc, _bias);
            return;
        }

        for (int o = 0; o < _oc; o++)
        {
            float b = _bias is null ? 0f : _bias[o];
            Vector256<float> vb = Vector256.Create(b), va = Vector256<float>.Zero, vq = Vector256<float>.Zero;
            Vector512<float> wb = Vector512.Create(b);
            float a = 0f, q = 0f;
            for (int oy = 0; oy < rows; oy++)
            {
                ref float src = ref Unsafe.Add(ref grid, (o * planeStride) + (oy * rowStride));
                ref float dst = ref Unsafe.Add(ref output, (((o * rows) + oy) * width));
                int i = 0;
                if (wide)
                {
                    // z goes to a batch-sized array: its lines are fetched ahead so the stores need not wait for them.
                    Prefetch.Ahead(ref dst, width);

                    // 16 values a step, summed as their two 8-lane halves in order: the 8-lane loop's terms in its order.
                    for (; i <= width - 16; i += 16)
                    {
                        Vector512<float> v = Vector512.LoadUnsafe(ref src, (nuint)i);
                        Vector256<float> lo = v.GetLower(), hi = v.GetUpper();
                        va += lo;
                        vq += lo * lo;
                        va += hi;
                        vq += hi * hi;
                        (v + wb).StoreUnsafe(ref dst, (nuint)i);
                    }
                }

                if (vector)
                {
                    for (; i <= width - 8; i += 8)
                    {
                        Vector256<float> v = Vector256.LoadUnsafe(ref src, (nuint)i);
                        va += v;
                        vq += v * v;
                        (v + vb).StoreUnsafe(ref dst, (nuint)i);
                    }
                }

                for (; i < width; i++)
                {
                    float v = Unsafe.Add(ref src, i);
                    a += v;
                    q += v * v;
                    Unsafe.Add(ref dst, i) = v + b;
                }
            }

            sums[o] += Vector256.Sum(va) + (double)a;
            sums[_oc + o] += Vector256.Sum(vq) + (double)q;
        }
    }

    /// <summary>
    /// <see cref="CropForward"/> at 256 bits (Level 1), two channels at a time: each channel takes the 8-lane loop's and the scalar
    /// tail's operations in their order (the same bits), but the two channels' four running sums are independent chains, so each
    /// row no longer waits on one chain of additions (a row of 28 ended in 4 dependent scalar additions, a row of 14 in 6). The
    /// rows of z (a batch-sized array, from L3) are fetched ahead as the 512-bit loop fetches them. An odd last channel runs as
    /// its own pair (the same values stored twice, its sums added once).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CropForward256(ref float grid, int planeStride, int rowStride, ref float output, Span<double> sums, int rows, int width, int oc, float[]? bias)
    {
        int plane = rows * width;
        for (int o = 0; o < oc; o += 2)
        {
            int o1 = Math.Min(o + 1, oc - 1);
            float b0 = bias is null ? 0f : bias[o], b1 = bias is null ? 0f : bias[o1];
            Vector256<float> vb0 = Vector256.Create(b0), vb1 = Vector256.Create(b1);
            Vector256<float> va0 = Vector256<float>.Zero, vq0 = Vector256<float>.Zero, va1 = Vector256<float>.Zero, vq1 = Vector256<float>.Zero;
            float a0 = 0f, q0 = 0f, a1 = 0f, q1 = 0f;
            ref float first = ref Unsafe.Add(ref grid, o * planeStride);
            ref float second = ref Unsafe.Add(ref grid, o1 * planeStride);
            for (int oy = 0; oy < rows; oy++)
            {
                ref float src0 = ref Unsafe.Add(ref first, oy * rowStride);
                ref float src1 = ref Unsafe.Add(ref second, oy * rowStride);
                ref float dst0 = ref Unsafe.Add(ref output, (o * plane) + (oy * width));
                ref float dst1 = ref Unsafe.Add(ref output, (o1 * plane) + (oy * width));
                Prefetch.Ahead(ref dst0, width);
                Prefetch.Ahead(ref dst1, width);
                int i = 0;
                for (; i <= width - 8; i += 8)
                {
                    Vector256<float> v0 = Vector256.LoadUnsafe(ref src0, (nuint)i), v1 = Vector256.LoadUnsafe(ref src1, (nuint)i);
                    va0 += v0;
                    vq0 += v0 * v0;
                    va1 += v1;
                    vq1 += v1 * v1;
                    (v0 + vb0).StoreUnsafe(ref dst0, (nuint)i);
                    (v1 + vb1).StoreUnsafe(ref dst1, (nuint)i);
                }

                for (; i < width; i++)
                {
                    float v0 = Unsafe.Add(ref src0, i), v1 = Unsafe.Add(ref src1, i);
                    a0 += v0;
                    q0 += v0 * v0;
                    a1 += v1;
                    q1 += v1 * v1;
                    Unsafe.Add(ref dst0, i) = v0 + b0;
                    Unsafe.Add(ref dst1, i) = v1 + b1;
                }
            }

            sums[o] += Vector256.Sum(va0) + (double)a0;
            sums[oc + o] += Vector256.Sum(vq0) + (double)q0;
            if (o1 != o)
            {
                sums[o1] += Vector256.Sum(va1) + (double)a1;
                sums[oc + o1] += Vector256.Sum(vq1) + (double)q1;
            }
        }
    }

    /// <summary>
    /// Writes one sample's output gradient onto the grid: plane o at o·Lz, row oy at M + oy·Wp, zeros in the margin,
    /// the columns past OW and after the last row; adds Σ per channel (the bias gradient) to <paramref name="biasSums"/>.
    /// With a BatchNorm after the conv (<paramref name="z"/> not null), <paramref name="dz"/> is the gradient at its output
    /// and each value goes through <see cref="Norm.BackwardApply"/>'s arithmetic first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FillGradientGrid(int s, ref float dz, ref float z, ref float dzGrid, Span<double> biasSums, ref float planeScratch)
    {
        bool vector = KernelDispatch.Level >= 1, norm = !Unsafe.IsNullRef(ref z), pooled = _pooledArgMax is not null;
        int plane = _oh * _ow;
        for (int o = 0; o < _oc; o++)
        {
            ref float zo = ref norm ? ref Unsafe.Add(ref z, o * plane) : ref Unsafe.NullRef<float>();
            var coefficients = norm ? new NormCoefficients(_normK[o], _normA[o], _normB[o], _normMean[o], _normInvStd[o], _normRelu, _normRelu ? _normScale[o] : 0f, _normRelu ? _normShift[o] : 0f) : default;

            // PooledBackward: the plane's dU formed from the masked pooled gradient first, in L1.
            ref float source = ref pooled ? ref PooledPlane(s, o, ref planeScratch) : ref Unsafe.Add(ref dz, o * plane);
            biasSums[o] += FillGradientPlane(ref source, ref zo, in coefficients, ref Unsafe.Add(ref dzGrid, o * _lz), _oh, _ow, _wp, _m, _lz, vector);
        }
    }

    // One channel of FillGradientGrid, returning its Σ. Static, on locals: inlined into the caller's loop over the layer's
    // fields, the row bounds were re-read from the object every step.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double FillGradientPlane(ref float src, ref float z, in NormCoefficients n, ref float plane, int oh, int ow, int wp, int m, int lz, bool vector)
    {
        bool norm = !Unsafe.IsNullRef(ref z);
        new Span<float>(Unsafe.AsPointer(ref plane), m).Clear();
        int end = m + (oh * wp);
        if ((vector || KernelDispatch.RuntimeBits == 128) && ow >= 4)
        {
            double rows = FillGradientRows(vector ? (KernelDispatch.Level >= 2 ? 512 : 256) : 128, ref src, ref z, in n, ref plane, oh, ow, wp, m);
            new Span<float>(Unsafe.AsPointer(ref Unsafe.Add(ref plane, end)), lz - end).Clear();
            return rows;
        }

        (float k, float na, float nb, float mu, float inv) = (n.K, n.A, n.B, n.Mean, n.InvStd);
        (bool relu, float sc, float sh) = (n.Relu, n.Scale, n.Shift);
        Vector256<float> vk = Vector256.Create(k), vna = Vector256.Create(na), vnb = Vector256.Create(nb), vmu = Vector256.Create(mu), vinv = Vector256.Create(inv);
        Vector256<float> vsc = Vector256.Create(sc), vsh = Vector256.Create(sh);
        Vector256<float> va = Vector256<float>.Zero;
        Vector128<float> va4 = Vector128<float>.Zero;
        float a = 0f;
        for (int oy = 0; oy < oh; oy++)
        {
            ref float row = ref Unsafe.Add(ref src, oy * ow);
            ref float dst = ref Unsafe.Add(ref plane, m + (oy * wp));
            int i = 0;
            if (vector && norm)
            {
                ref float zr = ref Unsafe.Add(ref z, oy * ow);
                for (; i <= ow - 8; i += 8)
                {
                    Vector256<float> zv = Vector256.LoadUnsafe(ref zr, (nuint)i), d = Vector256.LoadUnsafe(ref row, (nuint)i);
                    if (relu)
                    {
                        // dU = ReLU′(dY) at u = z·scale + shift: ReluOperator.Backward's arithmetic (the reduction pass stored no dU).
                        d = Vector256.AndNot(d, Vector256.LessThanOrEqual((zv * vsc) + vsh, Vector256<float>.Zero));
                    }

                    Vector256<float> xh = (zv - vmu) * vinv;
                    Vector256<float> v = (d - vna - (xh * vnb)) * vk;
                    va += v;
                    v.StoreUnsafe(ref dst, (nuint)i);
                }
            }
            else if (vector)
            {
                for (; i <= ow - 8; i += 8)
                {
                    Vector256<float> v = Vector256.LoadUnsafe(ref row, (nuint)i);
                    va += v;
                    v.StoreUnsafe(ref dst, (nuint)i);
                }
            }

            // Four more on Vector128 (rows of 14 and 28 end in 6 and 4), the same arithmetic per value.
            if (vector && i <= ow - 4)
            {
                Vector128<float> v = Vector128.LoadUnsafe(ref row, (nuint)i);
                if (norm)
                {
                    Vector128<float> zv = Vector128.LoadUnsafe(ref z, (nuint)((oy * ow) + i));
                    if (relu)
                    {
                        v = Vector128.AndNot(v, Vector128.LessThanOrEqual((zv * vsc.GetLower()) + vsh.GetLower(), Vector128<float>.Zero));
                    }

                    Vector128<float> xh = (zv - vmu.GetLower()) * vinv.GetLower();
                    v = (v - vna.GetLower() - (xh * vnb.GetLower())) * vk.GetLower();
                }

                va4 += v;
                v.StoreUnsafe(ref dst, (nuint)i);
                i += 4;
            }

            for (; i < ow; i++)
            {
                float v = Unsafe.Add(ref row, i);
                if (norm)
                {
                    float zs = Unsafe.Add(ref z, (oy * ow) + i);
                    if (relu && (zs * sc) + sh <= 0f)
                    {
                        v = 0f;
                    }

                    v = (v - na - (((zs - mu) * inv) * nb)) * k;
                }

                a += v;
                Unsafe.Add(ref dst, i) = v;
            }

            for (; i < wp; i++)
            {
                Unsafe.Add(ref dst, i) = 0f;
            }
        }

        // Summed before the call that clears the tail: a running sum live across a call was kept on the stack inside the loops.
        double sum = Vector256.Sum(va) + (double)Vector128.Sum(va4) + a;
        new Span<float>(Unsafe.AsPointer(ref Unsafe.Add(ref plane, end)), lz - end).Clear();
        return sum;
    }

    // BatchNorm's per-channel constants for FillGradientGrid: γ·invStd, Σ dU/m, Σ dU·x̂/m, μ, invStd; with Relu, the gradient is at
    // ReLU's output and dU = ReLU′(dY) at u = z·Scale + Shift is formed first (NormBackward).
    private readonly record struct NormCoefficients(float K, float A, float B, float Mean, float InvStd, bool Relu, float Scale, float Shift);

    /// <summary>
    /// One sample's input into the padded planes at <paramref name="destination"/>: <see cref="ConvHelpers.Pad"/>'s layout and values.
    /// Each row is copied with 8-wide vectors (4-wide where only Vector128 is accelerated: ARM64), its last ones overlapping (rows of 28
    /// and 14), and its borders are zeroed by plain
    /// stores: clearing the two border floats between rows through a span cost a call per row, more than the row's copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PadInput(ref float source, ref float destination)
    {
        if (_inputNorm is { } norm)
        {
            norm.Pad(this, ref source, ref destination);
            return;
        }

        int pw = _wp, ph = _h + (2 * _pad), w = _w, pad = _pad;
        bool vector = Vector256.IsHardwareAccelerated && w >= 8, narrow = Vector128.IsHardwareAccelerated && w >= 4;
        for (int c = 0; c < _c; c++)
        {
            ref float plane = ref Unsafe.Add(ref destination, c * ph * pw);
            ConvHelpers.ClearShort(ref plane, (pad * pw) + pad);
            for (int y = 0; y < _h; y++)
            {
                ref float src = ref Unsafe.Add(ref source, ((c * _h) + y) * w);
                ref float row = ref Unsafe.Add(ref plane, ((y + pad) * pw) + pad);
                Prefetch.Ahead(ref src, w);
                if (vector)
                {
                    int i = 0;
                    for (; i <= w - 8; i += 8)
                    {
                        Vector256.LoadUnsafe(ref src, (nuint)i).StoreUnsafe(ref row, (nuint)i);
                    }

                    if (i < w)
                    {
                        Vector256.LoadUnsafe(ref src, (nuint)(w - 8)).StoreUnsafe(ref row, (nuint)(w - 8));
                    }
                }
                else if (narrow)
                {
                    CopyRow128(ref src, ref row, w);
                }
                else
                {
                    for (int i = 0; i < w; i++)
                    {
                        Unsafe.Add(ref row, i) = Unsafe.Add(ref src, i);
                    }
                }

                // This row's right border and the next row's left border are adjacent.
                ConvHelpers.ClearShort(ref Unsafe.Add(ref row, w), 2 * pad);
            }

            ConvHelpers.ClearShort(ref Unsafe.Add(ref plane, ((_h + pad) * pw) + pad), (pad * pw) - pad);
        }
    }

    /// <summary>
    /// dx[ci][y·W + x] = grid[ci][y·Wp + x + pad]: the interior of the padded input's gradient. Rows of 8 and more are copied with
    /// 8-wide vectors, the last one overlapping (rows of 28 and 14), as <see cref="PadInput"/> copies them: a span copy per row cost
    /// a call to Memmove per 28 values (1.3 % of a Fashion-MNIST training epoch on 1 thread, AVX2). At 128 bits (and on rows of 4 to
    /// 7) 4-wide vectors, the last one overlapping; the width follows <see cref="KernelDispatch.RuntimeBits"/>.
    /// </summary>
    private void CropInput(ref float grid, ref float dx)
    {
        int bits = CropBits(_w);
        for (int ci = 0; ci < _c; ci++)
        {
            ref float to = ref Unsafe.Add(ref dx, ci * _h * _w);
            CropRows<No>(ref Unsafe.Add(ref grid, (ci * _qxp) + _pad), ref to, ref to, _h, _w, _wp, bits);
        }
    }
}
