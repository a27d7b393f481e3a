using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// The elementwise passes of a fused group over <c>[n, channels, spatial]</c>, generic over the
/// activation operator so that the JIT specialises each for every activation: normalise-and-activate
/// forward, the activation derivative, and the derivative fused with BatchNorm's backward reductions.
/// Vectorised along the spatial axis (images) or the channel axis (spatial = 1), at the widest vector
/// <see cref="KernelDispatch.Level"/> allows; scalar tails.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class ActivationPass
{
    /// <summary>y = act(z) over <paramref name="count"/> values; <paramref name="y"/> may alias <paramref name="z"/>.</summary>
    public static void Forward<TAct>(TAct act, ref float z, ref float y, int count)
        where TAct : struct, IActivationOperator
    {
        int i = 0;
        int level = KernelDispatch.Level;
        if (level == 2)
        {
            for (; i <= count - 16; i += 16)
            {
                act.Invoke(Vector512.LoadUnsafe(ref z, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (level >= 1)
        {
            for (; i <= count - 8; i += 8)
            {
                act.Invoke(Vector256.LoadUnsafe(ref z, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }
        else if (KernelDispatch.RuntimeBits == 128)
        {
            for (; i <= count - 4; i += 4)
            {
                act.Invoke(Vector128.LoadUnsafe(ref z, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref y, i) = act.Invoke(Unsafe.Add(ref z, i));
        }
    }

    /// <summary>dz = act′(dy) at the saved pre-activation values u, over <paramref name="count"/> values.</summary>
    public static void Backward<TAct>(TAct act, ref float dy, ref float u, ref float dz, int count)
        where TAct : struct, IActivationOperator
    {
        int i = 0;
        int level = KernelDispatch.Level;
        if (level == 2)
        {
            for (; i <= count - 16; i += 16)
            {
                act.Backward(Vector512.LoadUnsafe(ref dy, (nuint)i), Vector512.LoadUnsafe(ref u, (nuint)i)).StoreUnsafe(ref dz, (nuint)i);
            }
        }

        if (level >= 1)
        {
            for (; i <= count - 8; i += 8)
            {
                act.Backward(Vector256.LoadUnsafe(ref dy, (nuint)i), Vector256.LoadUnsafe(ref u, (nuint)i)).StoreUnsafe(ref dz, (nuint)i);
            }
        }
        else if (KernelDispatch.RuntimeBits == 128)
        {
            for (; i <= count - 4; i += 4)
            {
                act.Backward(Vector128.LoadUnsafe(ref dy, (nuint)i), Vector128.LoadUnsafe(ref u, (nuint)i)).StoreUnsafe(ref dz, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref dz, i) = act.Backward(Unsafe.Add(ref dy, i), Unsafe.Add(ref u, i));
        }
    }

    /// <summary>y = act(z·scale[c] + shift[c]) over <c>[n, channels, spatial]</c>; <paramref name="y"/> may alias <paramref name="z"/>.</summary>
    public static void AffineForward<TAct>(TAct act, ref float z, ref float y, int n, int channels, int spatial, ref float scale, ref float shift)
        where TAct : struct, IActivationOperator
    {
        if (spatial == 1)
        {
            // One value per channel (after a Linear): vectorise along the channels of each row.
            for (int row = 0; row < n; row++)
            {
                int o = row * channels;
                int c = 0;
                if (KernelDispatch.Level == 2)
                {
                    for (; c <= channels - 16; c += 16)
                    {
                        Vector512<float> v = (Vector512.LoadUnsafe(ref z, (nuint)(o + c)) * Vector512.LoadUnsafe(ref scale, (nuint)c)) + Vector512.LoadUnsafe(ref shift, (nuint)c);
                        act.Invoke(v).StoreUnsafe(ref y, (nuint)(o + c));
                    }
                }

                if (KernelDispatch.Level >= 1)
                {
                    for (; c <= channels - 8; c += 8)
                    {
                        Vector256<float> v = (Vector256.LoadUnsafe(ref z, (nuint)(o + c)) * Vector256.LoadUnsafe(ref scale, (nuint)c)) + Vector256.LoadUnsafe(ref shift, (nuint)c);
                        act.Invoke(v).StoreUnsafe(ref y, (nuint)(o + c));
                    }
                }
                else if (KernelDispatch.RuntimeBits == 128)
                {
                    for (; c <= channels - 4; c += 4)
                    {
                        Vector128<float> v = (Vector128.LoadUnsafe(ref z, (nuint)(o + c)) * Vector128.LoadUnsafe(ref scale, (nuint)c)) + Vector128.LoadUnsafe(ref shift, (nuint)c);
                        act.Invoke(v).StoreUnsafe(ref y, (nuint)(o + c));
                    }
                }

                for (; c < channels; c++)
                {
                    Unsafe.Add(ref y, o + c) = act.Invoke((Unsafe.Add(ref z, o + c) * Unsafe.Add(ref scale, c)) + Unsafe.Add(ref shift, c));
                }
            }

            return;
        }

        int level = KernelDispatch.Level;
        bool narrow = level == 0 && KernelDispatch.RuntimeBits == 128;
        for (int row = 0; row < n; row++)
        {
            for (int c = 0; c < channels; c++)
            {
                int o = ((row * channels) + c) * spatial;
                float s = Unsafe.Add(ref scale, c);
                float t = Unsafe.Add(ref shift, c);
                int i = 0;
                if (level == 2)
                {
                    Vector512<float> vs = Vector512.Create(s), vt = Vector512.Create(t);
                    for (; i <= spatial - 16; i += 16)
                    {
                        act.Invoke((Vector512.LoadUnsafe(ref z, (nuint)(o + i)) * vs) + vt).StoreUnsafe(ref y, (nuint)(o + i));
                    }
                }

                if (level >= 1)
                {
                    Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t);
                    for (; i <= spatial - 8; i += 8)
                    {
                        act.Invoke((Vector256.LoadUnsafe(ref z, (nuint)(o + i)) * vs) + vt).StoreUnsafe(ref y, (nuint)(o + i));
                    }
                }
                else if (narrow)
                {
                    Vector128<float> vs = Vector128.Create(s), vt = Vector128.Create(t);
                    for (; i <= spatial - 4; i += 4)
                    {
                        act.Invoke((Vector128.LoadUnsafe(ref z, (nuint)(o + i)) * vs) + vt).StoreUnsafe(ref y, (nuint)(o + i));
                    }
                }

                for (; i < spatial; i++)
                {
                    Unsafe.Add(ref y, o + i) = act.Invoke((Unsafe.Add(ref z, o + i) * s) + t);
                }
            }
        }
    }

    /// <summary>
    /// BatchNorm backward, first pass: du = act′(dy) at u = z·scale + shift, stored, and per channel
    /// Σ du and Σ du·x̂ with x̂ = (z − μ)·invStd, added to <paramref name="sumDu"/> and <paramref name="sumDuXhat"/>.
    /// </summary>
    public static void BackwardReduce<TAct>(TAct act, ref float dy, ref float z, ref float du, int n, int channels, int spatial, ref float scale, ref float shift,
        ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
        where TAct : struct, IActivationOperator
    {
        // du may be a null reference: only the sums are wanted (the conv's backward recomputes du as it reads it).
        bool store = !Unsafe.IsNullRef(ref du);
        if (spatial == 1 && store)
        {
            BackwardReduceRows(act, ref dy, ref z, ref du, n, channels, ref scale, ref shift, ref mean, ref invStd, ref sumDu, ref sumDuXhat);
            return;
        }

        bool vector = KernelDispatch.Level >= 1 && spatial >= 8, narrow = KernelDispatch.Level == 0 && KernelDispatch.RuntimeBits == 128 && spatial >= 4;
        for (int row = 0; row < n; row++)
        {
            for (int c = 0; c < channels; c++)
            {
                int o = ((row * channels) + c) * spatial;
                float s = Unsafe.Add(ref scale, c);
                float t = Unsafe.Add(ref shift, c);
                float mu = Unsafe.Add(ref mean, c);
                float inv = Unsafe.Add(ref invStd, c);
                double a = 0, b = 0;
                int i = 0;
                if (vector)
                {
                    Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t), vmu = Vector256.Create(mu), vinv = Vector256.Create(inv);
                    Vector256<float> va = Vector256<float>.Zero, vb = Vector256<float>.Zero;
                    for (; i <= spatial - 8; i += 8)
                    {
                        Prefetch.Line(ref Unsafe.Add(ref z, o + i));
                        Prefetch.Line(ref Unsafe.Add(ref dy, o + i));
                        Vector256<float> zv = Vector256.LoadUnsafe(ref z, (nuint)(o + i));
                        Vector256<float> g = act.Backward(Vector256.LoadUnsafe(ref dy, (nuint)(o + i)), (zv * vs) + vt);
                        if (store)
                        {
                            g.StoreUnsafe(ref du, (nuint)(o + i));
                        }

                        va += g;
                        vb += g * ((zv - vmu) * vinv);
                    }

                    a = Vector256.Sum(va);
                    b = Vector256.Sum(vb);
                }
                else if (narrow)
                {
                    BackwardReduce128(act, ref dy, ref z, ref du, store, o, spatial, s, t, mu, inv, ref i, out a, out b);
                }

                for (; i < spatial; i++)
                {
                    float zs = Unsafe.Add(ref z, o + i);
                    float g = act.Backward(Unsafe.Add(ref dy, o + i), (zs * s) + t);
                    if (store)
                    {
                        Unsafe.Add(ref du, o + i) = g;
                    }

                    a += g;
                    b += (double)g * ((zs - mu) * inv);
                }

                Unsafe.Add(ref sumDu, c) += a;
                Unsafe.Add(ref sumDuXhat, c) += b;
            }
        }
    }
    /// <summary>
    /// <see cref="BackwardReduce"/> with one value per channel (after a Linear, or LayerNorm's elements):
    /// the derivative vectorised along the channels of each row (elementwise: the same values at every width), then the
    /// per-channel sums in double in row order (<see cref="Norm.FeatureReduceRow"/>), term for term as the general
    /// loop adds them, so both give the same bits.
    /// </summary>
    private static void BackwardReduceRows<TAct>(TAct act, ref float dy, ref float z, ref float du, int n, int channels, ref float scale, ref float shift,
        ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
        where TAct : struct, IActivationOperator
    {
        for (int row = 0; row < n; row++)
        {
            int o = row * channels, c = 0;
            if (KernelDispatch.Level == 2)
            {
                for (; c <= channels - 16; c += 16)
                {
                    Vector512<float> u = (Vector512.LoadUnsafe(ref z, (nuint)(o + c)) * Vector512.LoadUnsafe(ref scale, (nuint)c)) + Vector512.LoadUnsafe(ref shift, (nuint)c);
                    act.Backward(Vector512.LoadUnsafe(ref dy, (nuint)(o + c)), u).StoreUnsafe(ref du, (nuint)(o + c));
                }
            }

            for (; KernelDispatch.Level >= 1 && c <= channels - 8; c += 8)
            {
                Vector256<float> u = (Vector256.LoadUnsafe(ref z, (nuint)(o + c)) * Vector256.LoadUnsafe(ref scale, (nuint)c)) + Vector256.LoadUnsafe(ref shift, (nuint)c);
                act.Backward(Vector256.LoadUnsafe(ref dy, (nuint)(o + c)), u).StoreUnsafe(ref du, (nuint)(o + c));
            }

            for (; KernelDispatch.Level == 0 && KernelDispatch.RuntimeBits == 128 && c <= channels - 4; c += 4)
            {
                Vector128<float> u = (Vector128.LoadUnsafe(ref z, (nuint)(o + c)) * Vector128.LoadUnsafe(ref scale, (nuint)c)) + Vector128.LoadUnsafe(ref shift, (nuint)c);
                act.Backward(Vector128.LoadUnsafe(ref dy, (nuint)(o + c)), u).StoreUnsafe(ref du, (nuint)(o + c));
            }

            for (; c < channels; c++)
            {
                Unsafe.Add(ref du, o + c) = act.Backward(Unsafe.Add(ref dy, o + c), (Unsafe.Add(ref z, o + c) * Unsafe.Add(ref scale, c)) + Unsafe.Add(ref shift, c));
            }

            Norm.FeatureReduceRow(ref Unsafe.Add(ref du, o), ref Unsafe.Add(ref z, o), ref mean, ref invStd, channels, ref sumDu, ref sumDuXhat);
        }
    }
}
