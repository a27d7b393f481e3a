using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>The elementwise passes of a group that ends in a residual add: u = (affine of z) + r, y = act(u).</summary>
public static partial class ActivationPass
{
    /// <summary>
    /// u = z + r and y = act(u) over <paramref name="count"/> values. <paramref name="u"/> may alias
    /// <paramref name="y"/> (then y = act(z + r)); <paramref name="y"/> may alias <paramref name="z"/>.
    /// </summary>
    public static void AddForward<TAct>(TAct act, ref float z, ref float r, ref float u, ref float y, int count)
        where TAct : struct, IActivationOperator
    {
        int i = 0;
        if (KernelDispatch.Level >= 1)
        {
            for (; i <= count - 8; i += 8)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref z, (nuint)i) + Vector256.LoadUnsafe(ref r, (nuint)i);
                v.StoreUnsafe(ref u, (nuint)i);
                act.Invoke(v).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            float v = Unsafe.Add(ref z, i) + Unsafe.Add(ref r, i);
            Unsafe.Add(ref u, i) = v;
            Unsafe.Add(ref y, i) = act.Invoke(v);
        }
    }

    /// <summary>
    /// u = z·scale[c] + shift[c] + r and y = act(u) over <c>[n, channels, spatial]</c>; <paramref name="u"/> may
    /// alias <paramref name="y"/>, and <paramref name="y"/> may alias <paramref name="z"/>.
    /// </summary>
    public static void AffineAddForward<TAct>(TAct act, ref float z, ref float r, ref float u, ref float y, int n, int channels, int spatial,
        ref float scale, ref float shift)
        where TAct : struct, IActivationOperator
    {
        bool vector = KernelDispatch.Level >= 1;
        for (int row = 0; row < n; row++)
        {
            for (int c = 0; c < channels; c++)
            {
                int o = ((row * channels) + c) * spatial;
                float s = Unsafe.Add(ref scale, c);
                float t = Unsafe.Add(ref shift, c);
                int i = 0;
                if (vector)
                {
                    Vector256<float> vs = Vector256.Create(s), vt = Vector256.Create(t);
                    for (; i <= spatial - 8; i += 8)
                    {
                        Vector256<float> v = (Vector256.LoadUnsafe(ref z, (nuint)(o + i)) * vs) + vt + Vector256.LoadUnsafe(ref r, (nuint)(o + i));
                        v.StoreUnsafe(ref u, (nuint)(o + i));
                        act.Invoke(v).StoreUnsafe(ref y, (nuint)(o + i));
                    }
                }

                for (; i < spatial; i++)
                {
                    float v = (Unsafe.Add(ref z, o + i) * s) + t + Unsafe.Add(ref r, o + i);
                    Unsafe.Add(ref u, o + i) = v;
                    Unsafe.Add(ref y, o + i) = act.Invoke(v);
                }
            }
        }
    }
}
