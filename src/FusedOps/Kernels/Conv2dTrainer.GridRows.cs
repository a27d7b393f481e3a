using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// <see cref="FillGradientGrid"/>'s planes at 512 and 256 bits. The general 256-bit loop (FillGradientPlane's, now for rows under 4) took a row of 28 in four steps (three of 8, one of 4), tested
/// whether to apply ReLU′ in every step, and ended a row of 14 with two scalar values whose ReLU′ was a data-dependent branch (half of
/// them mispredicted). Here each (BatchNorm, ReLU′) combination is its own loop (generic flags the JIT folds), a row starts with 16 values
/// in one step (at 512 bits), and the last one to three values are the lanes of a 4-wide step that overlaps the previous one (the same values stored
/// again). Every value takes the 256-bit loop's operations in its order, and the bias-gradient sum takes the same terms in the same order
/// (16 values as their two 8-lane halves, the 4-wide steps in their own lanes, the last values one by one in float), so the results are
/// the same bits. The rows of dY and z are prefetched (<see cref="Prefetch"/>): both come from L3, and the pass waited on them (with the
/// prefetch it took 0.42 ms instead of 0.55 to 0.65 ms per 16-channel 28×28 layer at batch 64, measured on the pass alone).
/// </content>
public sealed unsafe partial class Conv2dTrainer
{
    // One plane of FillGradientPlane (rows of at least 4): the grid rows and the bias-gradient sum, the margins left to the caller.
    // At Level 2 (GridConstants) a row starts with 16-wide steps; at Level 1 (GridConstants256) with 8-wide ones. The general loop
    // in FillGradientPlane, which Level 1 took before, kept the scalar coefficients live beside the vector ones for its scalar tail:
    // one register short of AVX2's 16, its 4-wide step stored and reloaded every intermediate on the stack (70 % of its time).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double FillGradientRows<TNorm, TRelu, TConstants>(ref float src, ref float z, in NormCoefficients n, ref float plane, int oh, int ow, int wp, int m)
        where TNorm : struct, IFlag
        where TRelu : struct, IFlag
        where TConstants : struct, IGridConstants<TConstants>
    {
        TConstants c = TConstants.Create(n);
        Vector256<float> va = Vector256<float>.Zero;
        Vector128<float> va4 = Vector128<float>.Zero;
        float a = 0f;
        for (int oy = 0; oy < oh; oy++)
        {
            ref float row = ref Unsafe.Add(ref src, oy * ow);
            ref float zr = ref default(TNorm).On ? ref Unsafe.Add(ref z, oy * ow) : ref row;
            ref float dst = ref Unsafe.Add(ref plane, m + (oy * wp));
            Prefetch.Ahead(ref row, ow);
            if (default(TNorm).On)
            {
                Prefetch.Ahead(ref zr, ow);
            }

            int i = 0;
            for (; TConstants.Wide && i <= ow - 16; i += 16)
            {
                Vector512<float> v = c.Value<TNorm, TRelu>(Vector512.LoadUnsafe(ref row, (nuint)i), Vector512.LoadUnsafe(ref zr, (nuint)i));
                va += v.GetLower();
                va += v.GetUpper();
                v.StoreUnsafe(ref dst, (nuint)i);
            }

            for (; TConstants.Eight && i <= ow - 8; i += 8)
            {
                Vector256<float> v = c.Value<TNorm, TRelu>(Vector256.LoadUnsafe(ref row, (nuint)i), Vector256.LoadUnsafe(ref zr, (nuint)i));
                va += v;
                v.StoreUnsafe(ref dst, (nuint)i);
            }

            // One step after the 8-wide ones; at 128 bits (not Eight) the whole row.
            for (; i <= ow - 4; i += 4)
            {
                Vector128<float> v = c.Value<TNorm, TRelu>(Vector128.LoadUnsafe(ref row, (nuint)i), Vector128.LoadUnsafe(ref zr, (nuint)i));
                va4 += v;
                v.StoreUnsafe(ref dst, (nuint)i);
            }

            if (i < ow)
            {
                // The last 1 to 3 values: lanes of a step over the row's last 4, added one by one as the scalar loop added them.
                int j = ow - 4;
                Vector128<float> v = c.Value<TNorm, TRelu>(Vector128.LoadUnsafe(ref row, (nuint)j), Vector128.LoadUnsafe(ref zr, (nuint)j));
                v.StoreUnsafe(ref dst, (nuint)j);
                for (; i < ow; i++)
                {
                    a += v.GetElement(i - j);
                }
            }

            for (; i < wp; i++)
            {
                Unsafe.Add(ref dst, i) = 0f;
            }
        }

        return (TConstants.Eight ? Vector256.Sum(va) : 0.0) + (double)Vector128.Sum(va4) + a;
    }

    // FillGradientRows at 512 (wide), 256 or 128 bits.
    private static double FillGradientRows(int bits, ref float src, ref float z, in NormCoefficients n, ref float plane, int oh, int ow, int wp, int m) =>
        bits >= 512 ? FillGradientRows<GridConstants>(ref src, ref z, in n, ref plane, oh, ow, wp, m)
        : bits >= 256 ? FillGradientRows<GridConstants256>(ref src, ref z, in n, ref plane, oh, ow, wp, m)
        : FillGradientRows<GridConstants128>(ref src, ref z, in n, ref plane, oh, ow, wp, m);

    // FillGradientRows for the coefficients' case.
    private static double FillGradientRows<TConstants>(ref float src, ref float z, in NormCoefficients n, ref float plane, int oh, int ow, int wp, int m)
        where TConstants : struct, IGridConstants<TConstants> =>
        Unsafe.IsNullRef(ref z) ? FillGradientRows<No, No, TConstants>(ref src, ref z, in n, ref plane, oh, ow, wp, m)
        : n.Relu ? FillGradientRows<Yes, Yes, TConstants>(ref src, ref z, in n, ref plane, oh, ow, wp, m)
        : FillGradientRows<Yes, No, TConstants>(ref src, ref z, in n, ref plane, oh, ow, wp, m);

    // A case the JIT folds: default(T).On is a constant in each struct instantiation.
    private interface IFlag
    {
        bool On { get; }
    }

    private readonly struct Yes : IFlag
    {
        public bool On => true;
    }

    private readonly struct No : IFlag
    {
        public bool On => false;
    }

    // FillGradientPlane's value on 8 lanes (with BatchNorm): dU = ReLU′(dY) at u = z·scale + shift (TRelu), then (dU − A − x̂·B)·K
    // with x̂ = (z − mean)·invStd.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Value256<TRelu>(Vector256<float> d, Vector256<float> z, Vector256<float> k, Vector256<float> a, Vector256<float> b,
        Vector256<float> mean, Vector256<float> invStd, Vector256<float> scale, Vector256<float> shift)
        where TRelu : struct, IFlag
    {
        if (default(TRelu).On)
        {
            d = Vector256.AndNot(d, Vector256.LessThanOrEqual((z * scale) + shift, Vector256<float>.Zero));
        }

        Vector256<float> xh = (z - mean) * invStd;
        return (d - a - (xh * b)) * k;
    }

    // NormCoefficients broadcast, and FillGradientPlane's value on them at each width.
    private interface IGridConstants<TSelf>
        where TSelf : struct, IGridConstants<TSelf>
    {
        // Whether FillGradientRows takes 16-wide steps (a constant of each type).
        static abstract bool Wide { get; }

        // Whether it takes 8-wide steps (not at 128 bits, where Vector256 is not accelerated on Arm).
        static abstract bool Eight { get; }

        static abstract TSelf Create(NormCoefficients n);

        Vector512<float> Value<TNorm, TRelu>(Vector512<float> d, Vector512<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag;

        Vector256<float> Value<TNorm, TRelu>(Vector256<float> d, Vector256<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag;

        Vector128<float> Value<TNorm, TRelu>(Vector128<float> d, Vector128<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag;
    }

    // NormCoefficients broadcast; the narrower widths take the lower lanes.
    private readonly struct GridConstants(NormCoefficients n) : IGridConstants<GridConstants>
    {
        public static bool Wide => true;

        public static bool Eight => true;

        public static GridConstants Create(NormCoefficients n) => new(n);

        private readonly Vector512<float> _k = Vector512.Create(n.K), _a = Vector512.Create(n.A), _b = Vector512.Create(n.B);
        private readonly Vector512<float> _mean = Vector512.Create(n.Mean), _invStd = Vector512.Create(n.InvStd);
        private readonly Vector512<float> _scale = Vector512.Create(n.Scale), _shift = Vector512.Create(n.Shift);

        // FillGradientPlane's value: dU = ReLU′(dY) at u = z·scale + shift (TRelu), then (dU − A − x̂·B)·K with x̂ = (z − mean)·invStd (TNorm).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Value<TNorm, TRelu>(Vector512<float> d, Vector512<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag
        {
            if (!default(TNorm).On)
            {
                return d;
            }

            if (default(TRelu).On)
            {
                d = Vector512.AndNot(d, Vector512.LessThanOrEqual((z * _scale) + _shift, Vector512<float>.Zero));
            }

            Vector512<float> xh = (z - _mean) * _invStd;
            return (d - _a - (xh * _b)) * _k;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Value<TNorm, TRelu>(Vector256<float> d, Vector256<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag =>
            default(TNorm).On
            ? Value256<TRelu>(d, z, _k.GetLower(), _a.GetLower(), _b.GetLower(), _mean.GetLower(), _invStd.GetLower(), _scale.GetLower(), _shift.GetLower())
            : d;

        // The 256-bit step's arithmetic in its lower lanes (the upper ones zero, never used): one body for both widths.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Value<TNorm, TRelu>(Vector128<float> d, Vector128<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag =>
            default(TNorm).On ? Value<TNorm, TRelu>(d.ToVector256(), z.ToVector256()).GetLower() : d;
    }

    // NormCoefficients broadcast to 8 lanes, for Level 1: no Vector512 fields on a machine that lacks them.
    private readonly struct GridConstants256(NormCoefficients n) : IGridConstants<GridConstants256>
    {
        private readonly Vector256<float> _k = Vector256.Create(n.K), _a = Vector256.Create(n.A), _b = Vector256.Create(n.B);
        private readonly Vector256<float> _mean = Vector256.Create(n.Mean), _invStd = Vector256.Create(n.InvStd);
        private readonly Vector256<float> _scale = Vector256.Create(n.Scale), _shift = Vector256.Create(n.Shift);

        public static bool Wide => false;

        public static bool Eight => true;

        public static GridConstants256 Create(NormCoefficients n) => new(n);

        // Not taken (Wide is false); the 8-lane arithmetic on each half.
        public Vector512<float> Value<TNorm, TRelu>(Vector512<float> d, Vector512<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag =>
            Vector512.Create(Value<TNorm, TRelu>(d.GetLower(), z.GetLower()), Value<TNorm, TRelu>(d.GetUpper(), z.GetUpper()));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Value<TNorm, TRelu>(Vector256<float> d, Vector256<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag =>
            default(TNorm).On ? Value256<TRelu>(d, z, _k, _a, _b, _mean, _invStd, _scale, _shift) : d;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Value<TNorm, TRelu>(Vector128<float> d, Vector128<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag =>
            default(TNorm).On ? Value<TNorm, TRelu>(d.ToVector256(), z.ToVector256()).GetLower() : d;
    }

    // NormCoefficients broadcast to 4 lanes, for 128 bits (SSE, AdvSimd): FillGradientPlane's value per lane, its arithmetic in its
    // order (no fused multiply-adds), so each value's bits are the scalar loop's; only the sum's order is its own.
    private readonly struct GridConstants128(NormCoefficients n) : IGridConstants<GridConstants128>
    {
        private readonly Vector128<float> _k = Vector128.Create(n.K), _a = Vector128.Create(n.A), _b = Vector128.Create(n.B);
        private readonly Vector128<float> _mean = Vector128.Create(n.Mean), _invStd = Vector128.Create(n.InvStd);
        private readonly Vector128<float> _scale = Vector128.Create(n.Scale), _shift = Vector128.Create(n.Shift);

        public static bool Wide => false;

        public static bool Eight => false;

        public static GridConstants128 Create(NormCoefficients n) => new(n);

        // Not taken (Wide and Eight are false); the 4-lane arithmetic on each quarter.
        public Vector512<float> Value<TNorm, TRelu>(Vector512<float> d, Vector512<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag =>
            Vector512.Create(Value<TNorm, TRelu>(d.GetLower(), z.GetLower()), Value<TNorm, TRelu>(d.GetUpper(), z.GetUpper()));

        public Vector256<float> Value<TNorm, TRelu>(Vector256<float> d, Vector256<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag =>
            Vector256.Create(Value<TNorm, TRelu>(d.GetLower(), z.GetLower()), Value<TNorm, TRelu>(d.GetUpper(), z.GetUpper()));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Value<TNorm, TRelu>(Vector128<float> d, Vector128<float> z)
            where TNorm : struct, IFlag
            where TRelu : struct, IFlag
        {
            if (!default(TNorm).On)
            {
                return d;
            }

            if (default(TRelu).On)
            {
                d = Vector128.AndNot(d, Vector128.LessThanOrEqual((z * _scale) + _shift, Vector128<float>.Zero));
            }

            Vector128<float> xh = (z - _mean) * _invStd;
            return (d - _a - (xh * _b)) * _k;
        }
    }
}
