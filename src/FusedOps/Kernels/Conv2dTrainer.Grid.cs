using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>Moving one sample between NCHW planes and the padded-width grid.</content>
public sealed unsafe partial class Conv2dTrainer
{
    /// <summary>
    /// output[o][oy·OW + ox] = grid[o][oy·Wp + ox] + bias[o] for the valid columns; Σ and Σ² of the grid values
    /// per channel are added to <paramref name="sums"/> [0 … OC) and [OC … 2·OC).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void CropForward(ref float grid, ref float output, Span<double> sums)
    {
        bool vector = KernelDispatch.Level >= 1;
        for (int o = 0; o < _oc; o++)
        {
            float b = _bias is null ? 0f : _bias[o];
            Vector256<float> vb = Vector256.Create(b), va = Vector256<float>.Zero, vq = Vector256<float>.Zero;
            float a = 0f, q = 0f;
            for (int oy = 0; oy < _oh; oy++)
            {
                ref float src = ref Unsafe.Add(ref grid, (o * _qp) + (oy * _wp));
                ref float dst = ref Unsafe.Add(ref output, (((o * _oh) + oy) * _ow));
                int i = 0;
                if (vector)
                {
                    for (; i <= _ow - 8; i += 8)
                    {
                        Vector256<float> v = Vector256.LoadUnsafe(ref src, (nuint)i);
                        va += v;
                        vq += v * v;
                        (v + vb).StoreUnsafe(ref dst, (nuint)i);
                    }
                }

                for (; i < _ow; i++)
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
    /// Writes one sample's output gradient onto the grid: plane o at o·Lz, row oy at M + oy·Wp, zeros in the margin,
    /// the columns past OW and after the last row; adds Σ per channel (the bias gradient) to <paramref name="biasSums"/>.
    /// With a BatchNorm after the conv (<paramref name="z"/> not null), <paramref name="dz"/> is the gradient at its output
    /// and each value goes through <see cref="Norm.BackwardApply"/>'s arithmetic first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FillGradientGrid(ref float dz, ref float z, ref float dzGrid, Span<double> biasSums)
    {
        bool vector = KernelDispatch.Level >= 1, norm = !Unsafe.IsNullRef(ref z);
        for (int o = 0; o < _oc; o++)
        {
            ref float plane = ref Unsafe.Add(ref dzGrid, o * _lz);
            new Span<float>(Unsafe.AsPointer(ref plane), _m).Clear();
            Vector256<float> va = Vector256<float>.Zero;
            float a = 0f;
            (float k, float na, float nb, float mu, float inv) = norm ? (_normK[o], _normA[o], _normB[o], _normMean[o], _normInvStd[o]) : (1f, 0f, 0f, 0f, 0f);
            for (int oy = 0; oy < _oh; oy++)
            {
                int row = ((o * _oh) + oy) * _ow;
                ref float src = ref Unsafe.Add(ref dz, row);
                ref float dst = ref Unsafe.Add(ref plane, _m + (oy * _wp));
                int i = 0;
                if (vector && norm)
                {
                    ref float zr = ref Unsafe.Add(ref z, row);
                    for (; i <= _ow - 8; i += 8)
                    {
                        Vector256<float> xh = (Vector256.LoadUnsafe(ref zr, (nuint)i) - Vector256.Create(mu)) * inv;
                        Vector256<float> v = (Vector256.LoadUnsafe(ref src, (nuint)i) - Vector256.Create(na) - (xh * nb)) * k;
                        va += v;
                        v.StoreUnsafe(ref dst, (nuint)i);
                    }
                }
                else if (vector)
                {
                    for (; i <= _ow - 8; i += 8)
                    {
                        Vector256<float> v = Vector256.LoadUnsafe(ref src, (nuint)i);
                        va += v;
                        v.StoreUnsafe(ref dst, (nuint)i);
                    }
                }

                for (; i < _ow; i++)
                {
                    float v = Unsafe.Add(ref src, i);
                    if (norm)
                    {
                        v = (v - na - (((Unsafe.Add(ref z, row + i) - mu) * inv) * nb)) * k;
                    }

                    a += v;
                    Unsafe.Add(ref dst, i) = v;
                }

                for (; i < _wp; i++)
                {
                    Unsafe.Add(ref dst, i) = 0f;
                }
            }

            int end = _m + (_oh * _wp);
            new Span<float>(Unsafe.AsPointer(ref Unsafe.Add(ref plane, end)), _lz - end).Clear();
            biasSums[o] += Vector256.Sum(va) + (double)a;
        }
    }

    /// <summary>dx[ci][y·W + x] = grid[ci][y·Wp + x + pad]: the interior of the padded input's gradient.</summary>
    private void CropInput(ref float grid, ref float dx)
    {
        for (int ci = 0; ci < _c; ci++)
        {
            for (int y = 0; y < _h; y++)
            {
                new ReadOnlySpan<float>(Unsafe.AsPointer(ref Unsafe.Add(ref grid, (ci * _qxp) + (y * _wp) + _pad)), _w)
                    .CopyTo(new Span<float>(Unsafe.AsPointer(ref Unsafe.Add(ref dx, ((ci * _h) + y) * _w)), _w));
            }
        }
    }
}
