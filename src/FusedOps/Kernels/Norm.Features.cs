using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// BatchNorm's passes with one value per channel (after a Linear: <c>[n, features]</c>), vectorised along the features of each
/// row. Each lane does the per-element loop's arithmetic in its order (a float widened to double and added; x̂ formed in float),
/// so the results are bitwise those of the loops in <see cref="ChannelSums"/> and <see cref="BackwardApply"/> at any width.
/// The per-element loops ran scalar here, with a double division per element in the input gradient: on case M (64 × 256) the
/// three passes took about 100 µs of a 600 µs training step.
/// </content>
public static partial class Norm
{
    // Features whose coefficients BackwardApply forms at once, on the stack (3 KB).
    private const int FeatureBlock = 256;

    // Σz and Σz² per feature over the n rows, row by row: sum[c] += z, sumSq[c] += z·z in double (exact products of floats).
    private static unsafe void FeatureSums(ref float z, int n, int features, Span<double> sum, Span<double> sumSq)
    {
        CheckFeatures(sum.Length, sumSq.Length, features, nameof(sum));
        for (int r = 0; r < n; r++)
        {
            AddProducts(ref Unsafe.Add(ref z, r * features), features, ref sum[0], ref sumSq[0], default(Itself));
        }
    }

    // dz = (du − Σdu/m − x̂·Σdu·x̂/m)·γ·invStd per feature, the coefficients formed once per block of features (not per element).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FeatureBackwardApply(ref float du, ref float z, int n, int features, ReadOnlySpan<float> gamma, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invStd, ReadOnlySpan<double> sumDu, ReadOnlySpan<double> sumDuXhat, long count, ref float dz)
    {
        CheckFeatures(sumDu.Length, sumDuXhat.Length, features, nameof(sumDu));
        CheckFeatures(mean.Length, invStd.Length, features, nameof(mean));
        CheckFeatures(gamma.IsEmpty ? features : gamma.Length, features, features, nameof(gamma));

        Span<float> coefficients = stackalloc float[3 * FeatureBlock];
        for (int c0 = 0; c0 < features; c0 += FeatureBlock)
        {
            int width = Math.Min(FeatureBlock, features - c0);
            Span<float> k = coefficients.Slice(0, width), a = coefficients.Slice(FeatureBlock, width), b = coefficients.Slice(2 * FeatureBlock, width);
            for (int c = 0; c < width; c++)
            {
                k[c] = (gamma.IsEmpty ? 1f : gamma[c0 + c]) * invStd[c0 + c];
                a[c] = (float)(sumDu[c0 + c] / count);
                b[c] = (float)(sumDuXhat[c0 + c] / count);
            }

            for (int r = 0; r < n; r++)
            {
                int o = (r * features) + c0;
                ApplyRow(ref Unsafe.Add(ref du, o), ref Unsafe.Add(ref z, o), ref Unsafe.Add(ref dz, o), width, k, a, b, mean.Slice(c0, width), invStd.Slice(c0, width));
            }
        }
    }

    // One row's part of FeatureBackwardApply: ((du − a) − x̂·b)·k with x̂ = (z − μ)·invStd, as the per-element loop evaluates it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ApplyRow(ref float du, ref float z, ref float dz, int width, ReadOnlySpan<float> k, ReadOnlySpan<float> a, ReadOnlySpan<float> b,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd)
    {
        int c = 0;
        if (KernelDispatch.RuntimeBits >= 256)
        {
            for (; c <= width - 8; c += 8)
            {
                Vector256<float> xh = (Vector256.LoadUnsafe(ref z, (nuint)c) - Vector256.Create(mean.Slice(c, 8))) * Vector256.Create(invStd.Slice(c, 8));
                Vector256<float> g = Vector256.LoadUnsafe(ref du, (nuint)c);
                ((g - Vector256.Create(a.Slice(c, 8)) - (xh * Vector256.Create(b.Slice(c, 8)))) * Vector256.Create(k.Slice(c, 8))).StoreUnsafe(ref dz, (nuint)c);
            }
        }

        if (KernelDispatch.RuntimeBits >= 128)
        {
            for (; c <= width - 4; c += 4)
            {
                Vector128<float> xh = (Vector128.LoadUnsafe(ref z, (nuint)c) - Vector128.Create(mean.Slice(c, 4))) * Vector128.Create(invStd.Slice(c, 4));
                Vector128<float> g = Vector128.LoadUnsafe(ref du, (nuint)c);
                ((g - Vector128.Create(a.Slice(c, 4)) - (xh * Vector128.Create(b.Slice(c, 4)))) * Vector128.Create(k.Slice(c, 4))).StoreUnsafe(ref dz, (nuint)c);
            }
        }

        for (; c < width; c++)
        {
            float xh = (Unsafe.Add(ref z, c) - mean[c]) * invStd[c];
            Unsafe.Add(ref dz, c) = (Unsafe.Add(ref du, c) - a[c] - (xh * b[c])) * k[c];
        }
    }

    /// <summary>
    /// BatchNorm's backward reductions on one row of features (after <see cref="ActivationPass.BackwardReduce"/>'s derivative has
    /// written du): <c>sumDu[c] += du[c]</c> and <c>sumDuXhat[c] += du[c]·x̂[c]</c> in double, x̂ = (z − μ)·invStd formed in float,
    /// term for term as the per-element loop adds them.
    /// </summary>
    internal static unsafe void FeatureReduceRow(ref float du, ref float z, ref float mean, ref float invStd, int features, ref double sumDu, ref double sumDuXhat)
    {
        fixed (float* pz = &z, pm = &mean, pi = &invStd)
        {
            AddProducts(ref du, features, ref sumDu, ref sumDuXhat, new Standardised(pz, pm, pi));
        }
    }

    // s[c] += a[c] and p[c] += a[c]·b[c] for c < count, b the term's float, both widened to double first: the per-element loops' terms.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddProducts<TTerm>(ref float a, int count, ref double s, ref double p, TTerm term)
        where TTerm : struct, IFeatureTerm
    {
        int c = 0;
        if (KernelDispatch.RuntimeBits >= 256)
        {
            for (; c <= count - 8; c += 8)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref a, (nuint)c);
                (Vector256<double> a0, Vector256<double> a1) = Vector256.Widen(v);
                (Vector256<double> b0, Vector256<double> b1) = Vector256.Widen(term.Of(v, c));
                (Vector256.LoadUnsafe(ref s, (nuint)c) + a0).StoreUnsafe(ref s, (nuint)c);
                (Vector256.LoadUnsafe(ref s, (nuint)(c + 4)) + a1).StoreUnsafe(ref s, (nuint)(c + 4));
                (Vector256.LoadUnsafe(ref p, (nuint)c) + (a0 * b0)).StoreUnsafe(ref p, (nuint)c);
                (Vector256.LoadUnsafe(ref p, (nuint)(c + 4)) + (a1 * b1)).StoreUnsafe(ref p, (nuint)(c + 4));
            }
        }

        if (KernelDispatch.RuntimeBits >= 128)
        {
            for (; c <= count - 4; c += 4)
            {
                Vector128<float> v = Vector128.LoadUnsafe(ref a, (nuint)c);
                (Vector128<double> a0, Vector128<double> a1) = Vector128.Widen(v);
                (Vector128<double> b0, Vector128<double> b1) = Vector128.Widen(term.Of(v, c));
                (Vector128.LoadUnsafe(ref s, (nuint)c) + a0).StoreUnsafe(ref s, (nuint)c);
                (Vector128.LoadUnsafe(ref s, (nuint)(c + 2)) + a1).StoreUnsafe(ref s, (nuint)(c + 2));
                (Vector128.LoadUnsafe(ref p, (nuint)c) + (a0 * b0)).StoreUnsafe(ref p, (nuint)c);
                (Vector128.LoadUnsafe(ref p, (nuint)(c + 2)) + (a1 * b1)).StoreUnsafe(ref p, (nuint)(c + 2));
            }
        }

        for (; c < count; c++)
        {
            float v = Unsafe.Add(ref a, c);
            Unsafe.Add(ref s, c) += v;
            Unsafe.Add(ref p, c) += (double)v * term.Of(v, c);
        }
    }

    // The float a feature's value is multiplied by in AddProducts' second sum.
    private interface IFeatureTerm
    {
        float Of(float v, int c);

        Vector128<float> Of(Vector128<float> v, int c);

        Vector256<float> Of(Vector256<float> v, int c);
    }

    // The value itself: Σz².
    private readonly struct Itself : IFeatureTerm
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Of(float v, int c) => v;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Of(Vector128<float> v, int c) => v;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Of(Vector256<float> v, int c) => v;
    }

    // x̂ = (z − μ)·invStd of the feature, in float: Σ du·x̂.
    private readonly unsafe struct Standardised(float* z, float* mean, float* invStd) : IFeatureTerm
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Of(float v, int c) => (z[c] - mean[c]) * invStd[c];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Of(Vector128<float> v, int c) => (Vector128.Load(z + c) - Vector128.Load(mean + c)) * Vector128.Load(invStd + c);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Of(Vector256<float> v, int c) => (Vector256.Load(z + c) - Vector256.Load(mean + c)) * Vector256.Load(invStd + c);
    }

    private static void CheckFeatures(int first, int second, int features, string name)
    {
        if (first < features || second < features)
        {
            throw new ArgumentException($"{name} and its companion per-feature array hold {first} and {second} values; at least {features} are needed.", name);
        }
    }
}
