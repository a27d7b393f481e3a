using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>Driver, packing and scalar form of <see cref="PanelDotGemm"/>; the tiles are in Gemm.PanelDotTiles.cs.</content>
public static partial class Gemm
{
    /// <summary>Most panels one pass keeps in its vector accumulators: 8 packed A rows × 32 panels × 128 bytes = 32 KB, within L1.</summary>
    private const int DotPanelChunk = 32;

    /// <summary>Most floats of B one column block spans (512 KB), so that it stays in L2 while every row tile passes over it.</summary>
    private const int DotBlockFloats = 1 << 17;

    /// <summary>The packed A tile, per thread (at most 32 KB): a pool's rent and return would cost more than a small call.</summary>
    [ThreadStatic]
    private static float[]? t_dotScratch;

    /// <summary>
    /// Tiles C into blocks of 8 (or, for few rows, 4) rows × 2 columns of (row, column) pairs. When
    /// enough column pairs reuse a row tile, its A rows are first copied into a contiguous scratch,
    /// <c>[panel][row][32]</c>: callers' panel strides are often multiples of 4 KB, which map every
    /// panel of a tile onto the same few L1 sets and evict it before the next column pair reuses it.
    /// Packed, the tile stays in L1 and only B streams from L2. Panels are taken in chunks of at most
    /// <see cref="DotPanelChunk"/> (one lane sum per pair per chunk), columns in blocks of at most
    /// <see cref="DotBlockFloats"/> floats of B.
    /// </summary>
    private static void PanelDotGemmVector(ref float a, nint aps, nint ars, ref float b, nint bps, nint brs, int panels, int rows, int cols, ref float c, nint ldc, bool wide)
    {
        if (panels == 0 || rows == 0 || cols == 0)
        {
            return;
        }

        int tileRows = wide && rows > 4 ? 8 : 4;

        // Packing a tile costs about as much as one column pair's products over it, so it pays only
        // when several pairs reuse it.
        bool pack = cols > 8;
        int chunks = (panels + DotPanelChunk - 1) / DotPanelChunk;
        int chunk = (panels + chunks - 1) / chunks;
        int pairs = Math.Min((cols + 1) / 2, DotBlockFloats / (2 * chunk * PanelWidth));
        float[] scratch = t_dotScratch ??= new float[8 * DotPanelChunk * PanelWidth];
        ref float packedA = ref MemoryMarshal.GetArrayDataReference(scratch);
        for (int p0 = 0; p0 < panels; p0 += chunk)
        {
            int pc = Math.Min(chunk, panels - p0);
            ref float ap = ref Unsafe.Add(ref a, p0 * aps);
            ref float bp = ref Unsafe.Add(ref b, p0 * bps);
            for (int q0 = 0; q0 < cols; q0 += 2 * pairs)
            {
                int qn = Math.Min(2 * pairs, cols - q0);
                for (int r = 0; r < rows; r += tileRows)
                {
                    int n = Math.Min(tileRows, rows - r);
                    ref float aTile = ref Unsafe.Add(ref ap, r * ars);
                    nint tilePanelStride = aps, tileRowStride = ars;
                    if (pack)
                    {
                        PackTile(ref aTile, aps, ars, n, pc, tileRows, ref packedA);
                        aTile = ref packedA;
                        (tilePanelStride, tileRowStride) = (tileRows * PanelWidth, PanelWidth);
                    }

                    for (int i = 0; 2 * i < qn; i++)
                    {
                        // A missing second column re-reads the first (offset 0) and is not stored.
                        bool second = (2 * i) + 1 < qn;
                        nint b1 = second ? brs : 0;
                        ref float bTile = ref Unsafe.Add(ref bp, (q0 + (2 * i)) * brs);
                        ref float cTile = ref Unsafe.Add(ref c, (r * ldc) + q0 + (2 * i));
                        if (!wide)
                        {
                            PanelDotGemm256x4x2(ref aTile, tilePanelStride, tileRowStride, n, ref bTile, bps, b1, pc, second, ref cTile, ldc);
                        }
                        else if (tileRows == 8)
                        {
                            PanelDotGemm512x8x2(ref aTile, tilePanelStride, tileRowStride, n, ref bTile, bps, b1, pc, second, ref cTile, ldc);
                        }
                        else
                        {
                            PanelDotGemm512x4x2(ref aTile, tilePanelStride, tileRowStride, n, ref bTile, bps, b1, pc, second, ref cTile, ldc);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Copies <paramref name="n"/> rows of <paramref name="panels"/> panels to <c>packed[pb·tileRows + k][32]</c>.</summary>
    private static void PackTile(ref float source, nint panelStride, nint rowStride, int n, int panels, int tileRows, ref float packed)
    {
        for (int pb = 0; pb < panels; pb++)
        {
            ref float from = ref Unsafe.Add(ref source, pb * panelStride);
            ref float to = ref Unsafe.Add(ref packed, pb * tileRows * PanelWidth);
            for (int k = 0; k < n; k++)
            {
                ref float row = ref Unsafe.Add(ref to, k * PanelWidth);
                ref float first = ref Unsafe.Add(ref from, k * rowStride);
                Vector256.LoadUnsafe(ref first).StoreUnsafe(ref row);
                Vector256.LoadUnsafe(ref first, 8).StoreUnsafe(ref row, 8);
                Vector256.LoadUnsafe(ref first, 16).StoreUnsafe(ref row, 16);
                Vector256.LoadUnsafe(ref first, 24).StoreUnsafe(ref row, 24);
            }
        }
    }

    /// <summary>Lane sum by halving (3 adds, 2 shuffles); Vector512.Sum's codegen reduces each 128-bit lane separately first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalSum(Vector512<float> v) => HorizontalSum(v.GetLower() + v.GetUpper());

    /// <summary>Lane sum by halving.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalSum(Vector256<float> v)
    {
        Vector128<float> q = v.GetLower() + v.GetUpper();
        q += Vector128.Shuffle(q, Vector128.Create(2, 3, 0, 1));
        q += Vector128.Shuffle(q, Vector128.Create(1, 0, 3, 2));
        return q.ToScalar();
    }

    /// <summary>Four partial sums per pair, so consecutive FMAs do not wait on each other's latency.</summary>
    private static void PanelDotGemmScalar(ref float a, nint aps, nint ars, ref float b, nint bps, nint brs, int panels, int rows, int cols, ref float c, nint ldc)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int q = 0; q < cols; q++)
            {
                ref float ar = ref Unsafe.Add(ref a, r * ars);
                ref float bq = ref Unsafe.Add(ref b, q * brs);
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                for (int pb = 0; pb < panels; pb++)
                {
                    ref float ap = ref Unsafe.Add(ref ar, pb * aps);
                    ref float bp = ref Unsafe.Add(ref bq, pb * bps);
                    for (int j = 0; j < PanelWidth; j += 4)
                    {
                        s0 = Simd.Fma(Unsafe.Add(ref ap, j), Unsafe.Add(ref bp, j), s0);
                        s1 = Simd.Fma(Unsafe.Add(ref ap, j + 1), Unsafe.Add(ref bp, j + 1), s1);
                        s2 = Simd.Fma(Unsafe.Add(ref ap, j + 2), Unsafe.Add(ref bp, j + 2), s2);
                        s3 = Simd.Fma(Unsafe.Add(ref ap, j + 3), Unsafe.Add(ref bp, j + 3), s3);
                    }
                }

                Unsafe.Add(ref c, (r * ldc) + q) += (s0 + s1) + (s2 + s3);
            }
        }
    }
}
