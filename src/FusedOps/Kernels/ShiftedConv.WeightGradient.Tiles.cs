using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// The weight gradient's register blocks: taps (rows) × one packed step of four vectors. Per step a block loads its four
/// D vectors once and one broadcast of X per tap; 6 taps × 4 zmm (24 accumulators) at 512 bits, 3 × 4 at 256 and 128
/// (16 registers), 3 × 4 floats in scalar. Taps past the end of a block repeat the first and are not stored.
/// </content>
public static partial class ShiftedConv
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tiles512(int group, float* d, int* positions, int count, float* x, int* offsets, int taps, float* sums)
    {
        for (int t = 0; t < taps; t += 6)
        {
            int n = Math.Min(6, taps - t);
            switch (group)
            {
                case 8:
                    Tile512<Group8>(d, positions, count, x, offsets + t, n, sums + (t * 64));
                    break;
                case 4:
                    Tile512<Group4>(d, positions, count, x, offsets + t, n, sums + (t * 64));
                    break;
                case 2:
                    Tile512<Group2>(d, positions, count, x, offsets + t, n, sums + (t * 64));
                    break;
                default:
                    Tile512<Group1>(d, positions, count, x, offsets + t, n, sums + (t * 64));
                    break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tiles256(int group, float* d, int* positions, int count, float* x, int* offsets, int taps, float* sums)
    {
        for (int t = 0; t < taps; t += 3)
        {
            int n = Math.Min(3, taps - t);
            switch (group)
            {
                case 8:
                    Tile256<Group8>(d, positions, count, x, offsets + t, n, sums + (t * 32));
                    break;
                case 4:
                    Tile256<Group4>(d, positions, count, x, offsets + t, n, sums + (t * 32));
                    break;
                case 2:
                    Tile256<Group2>(d, positions, count, x, offsets + t, n, sums + (t * 32));
                    break;
                default:
                    Tile256<Group1>(d, positions, count, x, offsets + t, n, sums + (t * 32));
                    break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tiles128(int group, float* d, int* positions, int count, float* x, int* offsets, int taps, float* sums)
    {
        for (int t = 0; t < taps; t += 3)
        {
            int n = Math.Min(3, taps - t);
            switch (group)
            {
                case 4:
                    Tile128<Group4>(d, positions, count, x, offsets + t, n, sums + (t * 16));
                    break;
                case 2:
                    Tile128<Group2>(d, positions, count, x, offsets + t, n, sums + (t * 16));
                    break;
                default:
                    Tile128<Group1>(d, positions, count, x, offsets + t, n, sums + (t * 16));
                    break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512<TGroup>(float* d, int* positions, int count, float* x, int* offsets, int n, float* sums)
        where TGroup : struct, IGroup
    {
        nint o0 = offsets[0], o1 = offsets[n > 1 ? 1 : 0], o2 = offsets[n > 2 ? 2 : 0];
        nint o3 = offsets[n > 3 ? 3 : 0], o4 = offsets[n > 4 ? 4 : 0], o5 = offsets[n > 5 ? 5 : 0];
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default, a50 = default, a51 = default, a52 = default, a53 = default;
        for (nint g = 0; g < count; g++, d += 64)
        {
            float* xg = x + positions[g];
            Vector512<float> d0 = Vector512.Load(d), d1 = Vector512.Load(d + 16), d2 = Vector512.Load(d + 32), d3 = Vector512.Load(d + 48);
            Vector512<float> b = TGroup.Broadcast512(xg + o0);
            a00 = Simd.Fma(b, d0, a00); a01 = Simd.Fma(b, d1, a01); a02 = Simd.Fma(b, d2, a02); a03 = Simd.Fma(b, d3, a03);
            b = TGroup.Broadcast512(xg + o1);
            a10 = Simd.Fma(b, d0, a10); a11 = Simd.Fma(b, d1, a11); a12 = Simd.Fma(b, d2, a12); a13 = Simd.Fma(b, d3, a13);
            b = TGroup.Broadcast512(xg + o2);
            a20 = Simd.Fma(b, d0, a20); a21 = Simd.Fma(b, d1, a21); a22 = Simd.Fma(b, d2, a22); a23 = Simd.Fma(b, d3, a23);
            b = TGroup.Broadcast512(xg + o3);
            a30 = Simd.Fma(b, d0, a30); a31 = Simd.Fma(b, d1, a31); a32 = Simd.Fma(b, d2, a32); a33 = Simd.Fma(b, d3, a33);
            b = TGroup.Broadcast512(xg + o4);
            a40 = Simd.Fma(b, d0, a40); a41 = Simd.Fma(b, d1, a41); a42 = Simd.Fma(b, d2, a42); a43 = Simd.Fma(b, d3, a43);
            b = TGroup.Broadcast512(xg + o5);
            a50 = Simd.Fma(b, d0, a50); a51 = Simd.Fma(b, d1, a51); a52 = Simd.Fma(b, d2, a52); a53 = Simd.Fma(b, d3, a53);
        }

        Add512(sums, a00, a01, a02, a03);
        if (n > 1) { Add512(sums + 64, a10, a11, a12, a13); }
        if (n > 2) { Add512(sums + 128, a20, a21, a22, a23); }
        if (n > 3) { Add512(sums + 192, a30, a31, a32, a33); }
        if (n > 4) { Add512(sums + 256, a40, a41, a42, a43); }
        if (n > 5) { Add512(sums + 320, a50, a51, a52, a53); }

        static void Add512(float* s, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
        {
            (Vector512.Load(s) + v0).Store(s);
            (Vector512.Load(s + 16) + v1).Store(s + 16);
            (Vector512.Load(s + 32) + v2).Store(s + 32);
            (Vector512.Load(s + 48) + v3).Store(s + 48);
        }
    }

    // D is loaded one vector at a time, used by the three taps' broadcasts: 12 accumulators + 3 broadcasts + 1 = 16 registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile256<TGroup>(float* d, int* positions, int count, float* x, int* offsets, int n, float* sums)
        where TGroup : struct, IGroup
    {
        nint o0 = offsets[0], o1 = offsets[n > 1 ? 1 : 0], o2 = offsets[n > 2 ? 2 : 0];
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        for (nint g = 0; g < count; g++, d += 32)
        {
            float* xg = x + positions[g];
            Vector256<float> b0 = TGroup.Broadcast256(xg + o0), b1 = TGroup.Broadcast256(xg + o1), b2 = TGroup.Broadcast256(xg + o2);
            Vector256<float> v = Vector256.Load(d);
            a00 = Simd.Fma(b0, v, a00); a10 = Simd.Fma(b1, v, a10); a20 = Simd.Fma(b2, v, a20);
            v = Vector256.Load(d + 8);
            a01 = Simd.Fma(b0, v, a01); a11 = Simd.Fma(b1, v, a11); a21 = Simd.Fma(b2, v, a21);
            v = Vector256.Load(d + 16);
            a02 = Simd.Fma(b0, v, a02); a12 = Simd.Fma(b1, v, a12); a22 = Simd.Fma(b2, v, a22);
            v = Vector256.Load(d + 24);
            a03 = Simd.Fma(b0, v, a03); a13 = Simd.Fma(b1, v, a13); a23 = Simd.Fma(b2, v, a23);
        }

        Add256(sums, a00, a01, a02, a03);
        if (n > 1) { Add256(sums + 32, a10, a11, a12, a13); }
        if (n > 2) { Add256(sums + 64, a20, a21, a22, a23); }

        static void Add256(float* s, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3)
        {
            (Vector256.Load(s) + v0).Store(s);
            (Vector256.Load(s + 8) + v1).Store(s + 8);
            (Vector256.Load(s + 16) + v2).Store(s + 16);
            (Vector256.Load(s + 24) + v3).Store(s + 24);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile128<TGroup>(float* d, int* positions, int count, float* x, int* offsets, int n, float* sums)
        where TGroup : struct, IGroup
    {
        nint o0 = offsets[0], o1 = offsets[n > 1 ? 1 : 0], o2 = offsets[n > 2 ? 2 : 0];
        Vector128<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector128<float> a20 = default, a21 = default, a22 = default, a23 = default;
        for (nint g = 0; g < count; g++, d += 16)
        {
            float* xg = x + positions[g];
            Vector128<float> b0 = TGroup.Broadcast128(xg + o0), b1 = TGroup.Broadcast128(xg + o1), b2 = TGroup.Broadcast128(xg + o2);
            Vector128<float> v = Vector128.Load(d);
            a00 = PackedGemm.Fma128(b0, v, a00); a10 = PackedGemm.Fma128(b1, v, a10); a20 = PackedGemm.Fma128(b2, v, a20);
            v = Vector128.Load(d + 4);
            a01 = PackedGemm.Fma128(b0, v, a01); a11 = PackedGemm.Fma128(b1, v, a11); a21 = PackedGemm.Fma128(b2, v, a21);
            v = Vector128.Load(d + 8);
            a02 = PackedGemm.Fma128(b0, v, a02); a12 = PackedGemm.Fma128(b1, v, a12); a22 = PackedGemm.Fma128(b2, v, a22);
            v = Vector128.Load(d + 12);
            a03 = PackedGemm.Fma128(b0, v, a03); a13 = PackedGemm.Fma128(b1, v, a13); a23 = PackedGemm.Fma128(b2, v, a23);
        }

        Add128(sums, a00, a01, a02, a03);
        if (n > 1) { Add128(sums + 16, a10, a11, a12, a13); }
        if (n > 2) { Add128(sums + 32, a20, a21, a22, a23); }

        static void Add128(float* s, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3)
        {
            (Vector128.Load(s) + v0).Store(s);
            (Vector128.Load(s + 4) + v1).Store(s + 4);
            (Vector128.Load(s + 8) + v2).Store(s + 8);
            (Vector128.Load(s + 12) + v3).Store(s + 12);
        }
    }

    // One position per step (Group 1), 3 taps × 4 channels.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TilesScalar(float* d, int* positions, int count, float* x, int* offsets, int taps, float* sums)
    {
        for (int t = 0; t < taps; t += 3)
        {
            int n = Math.Min(3, taps - t);
            nint o0 = offsets[t], o1 = offsets[n > 1 ? t + 1 : t], o2 = offsets[n > 2 ? t + 2 : t];
            float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0, a20 = 0, a21 = 0, a22 = 0, a23 = 0;
            float* dg = d;
            for (nint g = 0; g < count; g++, dg += 4)
            {
                float* xg = x + positions[g];
                float b0 = xg[o0], b1 = xg[o1], b2 = xg[o2];
                float v = dg[0];
                a00 = MathF.FusedMultiplyAdd(b0, v, a00); a10 = MathF.FusedMultiplyAdd(b1, v, a10); a20 = MathF.FusedMultiplyAdd(b2, v, a20);
                v = dg[1];
                a01 = MathF.FusedMultiplyAdd(b0, v, a01); a11 = MathF.FusedMultiplyAdd(b1, v, a11); a21 = MathF.FusedMultiplyAdd(b2, v, a21);
                v = dg[2];
                a02 = MathF.FusedMultiplyAdd(b0, v, a02); a12 = MathF.FusedMultiplyAdd(b1, v, a12); a22 = MathF.FusedMultiplyAdd(b2, v, a22);
                v = dg[3];
                a03 = MathF.FusedMultiplyAdd(b0, v, a03); a13 = MathF.FusedMultiplyAdd(b1, v, a13); a23 = MathF.FusedMultiplyAdd(b2, v, a23);
            }

            float* s = sums + (t * 4);
            AddScalar(s, a00, a01, a02, a03);
            if (n > 1) { AddScalar(s + 4, a10, a11, a12, a13); }
            if (n > 2) { AddScalar(s + 8, a20, a21, a22, a23); }
        }

        static void AddScalar(float* s, float v0, float v1, float v2, float v3)
        {
            s[0] += v0;
            s[1] += v1;
            s[2] += v2;
            s[3] += v3;
        }
    }

    /// <summary>How a step broadcasts X: one position to every lane, or a group of 2, 4 or 8 consecutive positions repeated.</summary>
    private unsafe interface IGroup
    {
        static abstract Vector512<float> Broadcast512(float* p);

        static abstract Vector256<float> Broadcast256(float* p);

        static abstract Vector128<float> Broadcast128(float* p);
    }

    private readonly unsafe struct Group1 : IGroup
    {
        public static Vector512<float> Broadcast512(float* p) => Vector512.Create(*p);

        public static Vector256<float> Broadcast256(float* p) => Vector256.Create(*p);

        public static Vector128<float> Broadcast128(float* p) => Vector128.Create(*p);
    }

    // Two floats as one double: vbroadcastsd / movddup.
    private readonly unsafe struct Group2 : IGroup
    {
        public static Vector512<float> Broadcast512(float* p) => Vector512.Create(Unsafe.ReadUnaligned<double>(p)).AsSingle();

        public static Vector256<float> Broadcast256(float* p) => Vector256.Create(Unsafe.ReadUnaligned<double>(p)).AsSingle();

        public static Vector128<float> Broadcast128(float* p) => Vector128.Create(Unsafe.ReadUnaligned<double>(p)).AsSingle();
    }

    // Eight floats: vbroadcastf64x4 (the same bits) at 512 bits, a plain load at 256 (never chosen at 128).
    private readonly unsafe struct Group8 : IGroup
    {
        public static Vector512<float> Broadcast512(float* p) =>
            Avx512F.IsSupported ? Avx512F.BroadcastVector256ToVector512((double*)p).AsSingle() : Vector512.Create(Vector256.Load(p), Vector256.Load(p));

        public static Vector256<float> Broadcast256(float* p) => Vector256.Load(p);

        public static Vector128<float> Broadcast128(float* p) => throw new NotSupportedException();
    }

    private readonly unsafe struct Group4 : IGroup
    {
        public static Vector512<float> Broadcast512(float* p) =>
            Avx512F.IsSupported ? Avx512F.BroadcastVector128ToVector512(p) : Vector512.Create(Broadcast256(p), Broadcast256(p));

        public static Vector256<float> Broadcast256(float* p) =>
            Avx.IsSupported ? Avx.BroadcastVector128ToVector256(p) : Vector256.Create(Vector128.Load(p), Vector128.Load(p));

        public static Vector128<float> Broadcast128(float* p) => Vector128.Load(p);
    }
}
