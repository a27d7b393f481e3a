using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// Vector row arithmetic for the weight forms and the switchable norm: dot products summed into double
/// (float lanes over at most 256 values, so long rows keep their precision), scaling and two-term
/// updates, at 512, 256 or 128 bits as <see cref="KernelDispatch.RuntimeBits"/> says, scalar otherwise.
/// </summary>
internal static class RowMath
{
    private const int Block = 256;

    /// <summary>Σ a[i]·b[i] in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Dot(ref float a, ref float b, int count)
    {
        double sum = 0;
        int i = 0;
        int bits = KernelDispatch.RuntimeBits;
        while (bits >= 128 && i <= count - 4)
        {
            // Each block takes at least 4 values, so the loop ends.
            int end = System.Math.Min(count, i + Block);
            if (bits == 512)
            {
                Vector512<float> acc = Vector512<float>.Zero;
                for (; i <= end - 16; i += 16)
                {
                    acc = Simd.Fma(Vector512.LoadUnsafe(ref a, (nuint)i), Vector512.LoadUnsafe(ref b, (nuint)i), acc);
                }

                sum += Vector512.Sum(acc);
            }

            if (bits >= 256)
            {
                Vector256<float> acc = Vector256<float>.Zero;
                for (; i <= end - 8; i += 8)
                {
                    acc = Simd.Fma(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i), acc);
                }

                sum += Vector256.Sum(acc);
            }

            Vector128<float> acc4 = Vector128<float>.Zero;
            for (; i <= end - 4; i += 4)
            {
                acc4 += Vector128.LoadUnsafe(ref a, (nuint)i) * Vector128.LoadUnsafe(ref b, (nuint)i);
            }

            sum += Vector128.Sum(acc4);
        }

        for (; i < count; i++)
        {
            sum += (double)Unsafe.Add(ref a, i) * Unsafe.Add(ref b, i);
        }

        return sum;
    }

    /// <summary>y[i] = s·x[i] (<paramref name="y"/> may be <paramref name="x"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(ref float x, float s, ref float y, int count)
    {
        int i = 0;
        int bits = KernelDispatch.RuntimeBits;
        if (bits == 512)
        {
            for (; i <= count - 16; i += 16)
            {
                (Vector512.LoadUnsafe(ref x, (nuint)i) * s).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (bits >= 256)
        {
            for (; i <= count - 8; i += 8)
            {
                (Vector256.LoadUnsafe(ref x, (nuint)i) * s).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (bits >= 128)
        {
            for (; i <= count - 4; i += 4)
            {
                (Vector128.LoadUnsafe(ref x, (nuint)i) * s).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) * s;
        }
    }

    /// <summary>acc[i] += a·x[i] + b·z[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaled(ref float acc, float a, ref float x, float b, ref float z, int count)
    {
        int i = 0;
        int bits = KernelDispatch.RuntimeBits;
        if (bits == 512)
        {
            for (; i <= count - 16; i += 16)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref acc, (nuint)i) + (Vector512.LoadUnsafe(ref x, (nuint)i) * a) + (Vector512.LoadUnsafe(ref z, (nuint)i) * b);
                v.StoreUnsafe(ref acc, (nuint)i);
            }
        }

        if (bits >= 256)
        {
            for (; i <= count - 8; i += 8)
            {
                Vector256<float> v = Vector256.LoadUnsafe(ref acc, (nuint)i) + (Vector256.LoadUnsafe(ref x, (nuint)i) * a) + (Vector256.LoadUnsafe(ref z, (nuint)i) * b);
                v.StoreUnsafe(ref acc, (nuint)i);
            }
        }

        if (bits >= 128)
        {
            for (; i <= count - 4; i += 4)
            {
                Vector128<float> v = Vector128.LoadUnsafe(ref acc, (nuint)i) + (Vector128.LoadUnsafe(ref x, (nuint)i) * a) + (Vector128.LoadUnsafe(ref z, (nuint)i) * b);
                v.StoreUnsafe(ref acc, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref acc, i) += (Unsafe.Add(ref x, i) * a) + (Unsafe.Add(ref z, i) * b);
        }
    }

    /// <summary>y[i] = p·u[i] + q·x[i] + r: an input gradient that is one affine map of two tensors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Affine2(ref float u, float p, ref float x, float q, float r, ref float y, int count)
    {
        int i = 0;
        int bits = KernelDispatch.RuntimeBits;
        if (bits == 512)
        {
            Vector512<float> vr = Vector512.Create(r);
            for (; i <= count - 16; i += 16)
            {
                ((Vector512.LoadUnsafe(ref u, (nuint)i) * p) + (Vector512.LoadUnsafe(ref x, (nuint)i) * q) + vr).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (bits >= 256)
        {
            Vector256<float> vr = Vector256.Create(r);
            for (; i <= count - 8; i += 8)
            {
                ((Vector256.LoadUnsafe(ref u, (nuint)i) * p) + (Vector256.LoadUnsafe(ref x, (nuint)i) * q) + vr).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (bits >= 128)
        {
            Vector128<float> vr = Vector128.Create(r);
            for (; i <= count - 4; i += 4)
            {
                ((Vector128.LoadUnsafe(ref u, (nuint)i) * p) + (Vector128.LoadUnsafe(ref x, (nuint)i) * q) + vr).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref y, i) = (Unsafe.Add(ref u, i) * p) + (Unsafe.Add(ref x, i) * q) + r;
        }
    }

    /// <summary>y[i] = y[i]·a[i]·s: a per-column and a per-row scale at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleBoth(ref float y, ref float a, float s, int count)
    {
        int i = 0;
        int bits = KernelDispatch.RuntimeBits;
        if (bits == 512)
        {
            for (; i <= count - 16; i += 16)
            {
                (Vector512.LoadUnsafe(ref y, (nuint)i) * Vector512.LoadUnsafe(ref a, (nuint)i) * s).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (bits >= 256)
        {
            for (; i <= count - 8; i += 8)
            {
                (Vector256.LoadUnsafe(ref y, (nuint)i) * Vector256.LoadUnsafe(ref a, (nuint)i) * s).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (bits >= 128)
        {
            for (; i <= count - 4; i += 4)
            {
                (Vector128.LoadUnsafe(ref y, (nuint)i) * Vector128.LoadUnsafe(ref a, (nuint)i) * s).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref y, i) = Unsafe.Add(ref y, i) * Unsafe.Add(ref a, i) * s;
        }
    }

    /// <summary>Σx and Σx² in double (float lanes over at most 256 values at a time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double Sum, double SumSq) Moments(ref float x, int count)
    {
        double sum = 0, sumSq = 0;
        int i = 0;
        int bits = KernelDispatch.RuntimeBits;
        while (bits >= 128 && i <= count - 4)
        {
            int end = System.Math.Min(count, i + Block);
            if (bits >= 256)
            {
                Vector256<float> a = Vector256<float>.Zero, b = Vector256<float>.Zero;
                for (; i <= end - 8; i += 8)
                {
                    Vector256<float> v = Vector256.LoadUnsafe(ref x, (nuint)i);
                    a += v;
                    b += v * v;
                }

                sum += Vector256.Sum(a);
                sumSq += Vector256.Sum(b);
            }

            Vector128<float> a4 = Vector128<float>.Zero, b4 = Vector128<float>.Zero;
            for (; i <= end - 4; i += 4)
            {
                Vector128<float> v = Vector128.LoadUnsafe(ref x, (nuint)i);
                a4 += v;
                b4 += v * v;
            }

            sum += Vector128.Sum(a4);
            sumSq += Vector128.Sum(b4);
        }

        for (; i < count; i++)
        {
            double v = Unsafe.Add(ref x, i);
            sum += v;
            sumSq += v * v;
        }

        return (sum, sumSq);
    }
}
