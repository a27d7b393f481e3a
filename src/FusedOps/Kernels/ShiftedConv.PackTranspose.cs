using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// <see cref="PackGradient"/>'s steps of one or two positions per channel as register transposes: with 64 or 32 channels a
/// step holds one or two floats of each, so the copy is a transpose of channels × positions, which a float at a time (one
/// load and one store per value) made the largest of the backward's data passes on case C. 8 × 8 floats (one position per
/// channel) or 4 × 4 pairs (two) per block, with AVX; the other widths and the edges keep the plain copy. A copy either way,
/// so the same bits.
/// </content>
public static partial class ShiftedConv
{
    /// <summary>
    /// The first steps of one output row for <paramref name="group"/> 1 or 2: step k (of <paramref name="columns"/> floats at
    /// <paramref name="step"/>) gets <c>D[i][k·group + m]</c> at <c>i·group + m</c> for i &lt; <paramref name="valid"/>, zeros after.
    /// Returns how many steps it wrote (whole blocks of 8 or 4; none without AVX or with fewer channels than a block).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TransposeSteps(ref float line, int ldd, int valid, int steps, int group, int columns, ref float step) =>
        !Avx.IsSupported ? 0 : group == 1 ? TransposeBlocks<Floats8>(ref line, ldd, valid, steps, columns, ref step)
            : group == 2 ? TransposeBlocks<Pairs4>(ref line, ldd, valid, steps, columns, ref step) : 0;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int TransposeBlocks<TBlock>(ref float line, int ldd, int valid, int steps, int columns, ref float step)
        where TBlock : struct, ITransposeBlock
    {
        int n = TBlock.Size, group = TBlock.Group, done = steps / n * n, blocks = valid / n * n;
        if (blocks == 0)
        {
            return 0;
        }

        for (int x = 0; x < done; x += n)
        {
            ref float s = ref Unsafe.Add(ref step, x * columns);
            for (int i = 0; i < blocks; i += n)
            {
                TBlock.Transpose(ref Unsafe.Add(ref line, (i * ldd) + (group * x)), ldd, ref Unsafe.Add(ref s, group * i), columns);
            }

            FinishSteps(ref Unsafe.Add(ref line, group * x), ldd, blocks, valid, group, n, columns, ref s);
        }

        return done;
    }

    /// <summary>A square block of channels × steps: <c>d[k·columns + i·Group + m] = src[i·ldd + k·Group + m]</c> for i, k &lt; Size.</summary>
    private interface ITransposeBlock
    {
        static abstract int Size { get; }

        static abstract int Group { get; }

        static abstract void Transpose(ref float src, int ldd, ref float d, int columns);
    }

    // One position per channel: 8 × 8 floats.
    private readonly struct Floats8 : ITransposeBlock
    {
        public static int Size => 8;

        public static int Group => 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Transpose(ref float src, int ldd, ref float d, int columns)
        {
            Vector256<float> r0 = Vector256.LoadUnsafe(ref src), r1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, ldd));
            Vector256<float> r2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 2 * ldd)), r3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 3 * ldd));
            Vector256<float> r4 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 4 * ldd)), r5 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 5 * ldd));
            Vector256<float> r6 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 6 * ldd)), r7 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 7 * ldd));
            Transpose8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
            r0.StoreUnsafe(ref d);
            r1.StoreUnsafe(ref Unsafe.Add(ref d, columns));
            r2.StoreUnsafe(ref Unsafe.Add(ref d, 2 * columns));
            r3.StoreUnsafe(ref Unsafe.Add(ref d, 3 * columns));
            r4.StoreUnsafe(ref Unsafe.Add(ref d, 4 * columns));
            r5.StoreUnsafe(ref Unsafe.Add(ref d, 5 * columns));
            r6.StoreUnsafe(ref Unsafe.Add(ref d, 6 * columns));
            r7.StoreUnsafe(ref Unsafe.Add(ref d, 7 * columns));
        }
    }

    /// <summary>Rows r0 … r7 of an 8 × 8 block of floats become its columns (AVX unpack, shuffle and lane permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(u0, u4, 0x20);
        r1 = Avx.Permute2x128(u1, u5, 0x20);
        r2 = Avx.Permute2x128(u2, u6, 0x20);
        r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31);
        r5 = Avx.Permute2x128(u1, u5, 0x31);
        r6 = Avx.Permute2x128(u2, u6, 0x31);
        r7 = Avx.Permute2x128(u3, u7, 0x31);
    }

    // Two positions per channel, taken as one double: 4 × 4 doubles.
    private readonly struct Pairs4 : ITransposeBlock
    {
        public static int Size => 4;

        public static int Group => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Transpose(ref float src, int ldd, ref float d, int columns)
        {
            Vector256<double> r0 = Vector256.LoadUnsafe(ref src).AsDouble(), r1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, ldd)).AsDouble();
            Vector256<double> r2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 2 * ldd)).AsDouble(), r3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 3 * ldd)).AsDouble();
            Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Avx.Permute2x128(t0, t2, 0x20).AsSingle().StoreUnsafe(ref d);
            Avx.Permute2x128(t1, t3, 0x20).AsSingle().StoreUnsafe(ref Unsafe.Add(ref d, columns));
            Avx.Permute2x128(t0, t2, 0x31).AsSingle().StoreUnsafe(ref Unsafe.Add(ref d, 2 * columns));
            Avx.Permute2x128(t1, t3, 0x31).AsSingle().StoreUnsafe(ref Unsafe.Add(ref d, 3 * columns));
        }
    }

    // The channels past the transposed blocks, one value at a time, and each step's zeros past the valid channels.
    private static void FinishSteps(ref float line, int ldd, int from, int valid, int group, int count, int columns, ref float step)
    {
        for (int k = 0; k < count; k++)
        {
            ref float s = ref Unsafe.Add(ref step, k * columns);
            for (int i = from; i < valid; i++)
            {
                for (int m = 0; m < group; m++)
                {
                    Unsafe.Add(ref s, (i * group) + m) = Unsafe.Add(ref line, (i * ldd) + (k * group) + m);
                }
            }

            Clear(ref Unsafe.Add(ref s, valid * group), columns - (valid * group));
        }
    }
}
