using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// The weight gradient as a GEMM whose long reduction runs over the output positions of all a part's samples:
/// <c>dW[r][t] = Σ_q D[r][q]·X[offsets[t] + q]</c>. One operand is packed per sample: D (the output gradient, the
/// small one) goes into blocks of <see cref="WeightGradientLayout.Columns"/> floats per step, <see cref="WeightGradientLayout.Group"/>
/// consecutive positions of <see cref="WeightGradientLayout.Channels"/> channels, aligned loads; X stays on the padded grid and is
/// broadcast (a group of positions per tap), so every shifted tap is an ordinary load and no im2col is built. The register
/// block is taps × one packed step: each D vector feeds a tap per row and each broadcast feeds a whole step. Only valid
/// output positions are visited (not the grid's padding columns), and nothing is reduced across lanes in the loop: each lane
/// sums its own positions in order, the lanes of a weight are added once per part in a fixed order (<see cref="CloseWeightGradient"/>),
/// so a part's result depends only on its samples, not on the thread that ran it.
/// </content>
public static partial class ShiftedConv
{
    /// <summary>Grid positions per step of the input-gradient grid's planes (<see cref="Conv2dTrainer"/> rounds its plane length to it).</summary>
    public const int Positions = 16;

    // Bytes of packed D per chunk of positions: a chunk stays in L1 while every tap block of the chunk reads it.
    private const int ChunkBytes = 32 * 1024;

    /// <summary>The packed form of <see cref="WeightGradient"/> at the current width (<see cref="KernelDispatch.RuntimeBits"/>) for a shape.</summary>
    /// <param name="rows">Output channels (rows of D).</param>
    /// <param name="height">Output rows per plane.</param>
    /// <param name="width">Output columns per row.</param>
    public static WeightGradientLayout WeightGradientLayoutFor(int rows, int height, int width)
    {
        int bits = KernelDispatch.RuntimeBits;
        int columns = bits >= 128 ? 4 * bits / 32 : 4;
        // As many positions per step as let one block cover the channels (fewer blocks, broadcasts shared by more lanes,
        // fewer lanes wasted on few channels), at most 8 and a vector's lanes, and not past a row.
        int group = 1, most = Math.Min(8, bits / 32);
        while (group < most && rows * group * 2 <= columns && group * 2 <= width)
        {
            group *= 2;
        }

        return new WeightGradientLayout(rows, height, width, group, columns);
    }

    /// <summary>
    /// <c>positions[g] = y·rowStride + gx·Group</c> for every group of <paramref name="layout"/> (row y, group gx of the row):
    /// where each step of <see cref="WeightGradient"/> reads X.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradientPositions(in WeightGradientLayout layout, int rowStride, Span<int> positions)
    {
        int g = 0;
        for (int y = 0; y < layout.Height; y++)
        {
            for (int gx = 0; gx < layout.GroupsPerRow; gx++)
            {
                positions[g++] = (y * rowStride) + (gx * layout.Group);
            }
        }
    }

    /// <summary>
    /// Packs <c>D[r][y·rowStride + x]</c> (row r at <c>r·ldd</c>; r &lt; Rows, y &lt; Height, x &lt; Width) into
    /// <paramref name="packed"/> (<see cref="WeightGradientLayout.PackedLength"/> floats): block b, group g, then channel-major
    /// groups of positions, <c>packed[(b·Groups + g)·Columns + i·Group + k] = D[b·Channels + i][position g + k]</c>,
    /// zero past the rows and past each row's width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackGradient(in WeightGradientLayout layout, ref float d, int ldd, int rowStride, ref float packed)
    {
        int group = layout.Group, columns = layout.Columns, channels = layout.Channels, perRow = layout.GroupsPerRow;
        int full = layout.Width / group;
        // Step by step, each step's columns written in order (a whole cache line at a time); the block's rows are read
        // side by side, which the prefetchers follow. Writing a row at a time instead scattered the stores over the block.
        ref float step = ref packed;
        for (int b = 0; b < layout.Blocks; b++)
        {
            ref float rows = ref Unsafe.Add(ref d, b * channels * ldd);
            int valid = Math.Min(channels, layout.Rows - (b * channels));
            for (int y = 0; y < layout.Height; y++)
            {
                ref float line = ref Unsafe.Add(ref rows, y * rowStride);
                int gx = TransposeSteps(ref line, ldd, valid, full, group, columns, ref step);
                step = ref Unsafe.Add(ref step, gx * columns);
                for (; gx < full; gx++)
                {
                    CopyStep(ref Unsafe.Add(ref line, gx * group), ldd, valid, group, ref step);
                    Clear(ref Unsafe.Add(ref step, valid * group), columns - (valid * group));
                    step = ref Unsafe.Add(ref step, columns);
                }

                if (full < perRow)
                {
                    // The row's last group is partial: its positions past the width are zero.
                    Clear(ref step, columns);
                    for (int i = 0; i < valid; i++)
                    {
                        for (int k = 0; (full * group) + k < layout.Width; k++)
                        {
                            Unsafe.Add(ref step, (i * group) + k) = Unsafe.Add(ref line, (i * ldd) + (full * group) + k);
                        }
                    }

                    step = ref Unsafe.Add(ref step, columns);
                }
            }
        }
    }

    /// <summary>
    /// <c>sums[(b·taps + t)·Columns + j] += Σ_g packed[(b·Groups + g)·Columns + j]·X[offsets[t] + positions[g] + j mod Group]</c>:
    /// every lane j of every block b sums its groups in order. X must be readable up to <c>Group − 1</c> floats past the
    /// last valid position of every tap (the packed zeros meet them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void WeightGradient(in WeightGradientLayout layout, ref float packed, ref int positions, ref float x, ref int offsets, int taps, ref float sums)
    {
        int columns = layout.Columns, groups = layout.Groups, chunk = Math.Max(1, ChunkBytes / (columns * sizeof(float)));
        fixed (float* pp = &packed, px = &x, ps = &sums)
        fixed (int* pq = &positions, po = &offsets)
        {
            for (int g0 = 0; g0 < groups; g0 += chunk)
            {
                int count = Math.Min(chunk, groups - g0);
                for (int b = 0; b < layout.Blocks; b++)
                {
                    float* d = pp + (((nint)b * groups) + g0) * columns;
                    float* s = ps + ((nint)b * taps * columns);
                    // The layout's width, not the one in force now: the packed steps are as wide as the register block.
                    switch (columns)
                    {
                        case 64:
                            Tiles512(layout.Group, d, pq + g0, count, px, po, taps, s);
                            break;
                        case 32:
                            Tiles256(layout.Group, d, pq + g0, count, px, po, taps, s);
                            break;
                        case 16:
                            Tiles128(layout.Group, d, pq + g0, count, px, po, taps, s);
                            break;
                        default:
                            TilesScalar(d, pq + g0, count, px, po, taps, s);
                            break;
                    }
                }
            }
        }
    }

    // dst[i·group + k] = src[i·ldd + k] for i < count, k < group: one step's channels.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyStep(ref float src, int ldd, int count, int group, ref float dst)
    {
        switch (group)
        {
            case 8:
                for (int i = 0; i < count; i++)
                {
                    Vector256.LoadUnsafe(ref src).StoreUnsafe(ref dst, (nuint)(i * 8));
                    src = ref Unsafe.Add(ref src, ldd);
                }

                break;
            case 4:
                for (int i = 0; i < count; i++)
                {
                    Vector128.LoadUnsafe(ref src).StoreUnsafe(ref dst, (nuint)(i * 4));
                    src = ref Unsafe.Add(ref src, ldd);
                }

                break;
            case 2:
                for (int i = 0; i < count; i++)
                {
                    Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref dst, i * 2)), Unsafe.ReadUnaligned<long>(ref Unsafe.As<float, byte>(ref src)));
                    src = ref Unsafe.Add(ref src, ldd);
                }

                break;
            default:
                for (int i = 0; i < count; i++)
                {
                    Unsafe.Add(ref dst, i) = src;
                    src = ref Unsafe.Add(ref src, ldd);
                }

                break;
        }
    }

    private static void Clear(ref float dst, int count)
    {
        for (int k = 0; k < count; k++)
        {
            Unsafe.Add(ref dst, k) = 0f;
        }
    }
}

/// <summary>
/// How <see cref="ShiftedConv.WeightGradient"/> packs D for a shape at one width: <see cref="Blocks"/> blocks of
/// <see cref="Channels"/> output channels, each step of a block <see cref="Columns"/> floats (<see cref="Group"/> consecutive
/// positions of each channel), <see cref="Groups"/> steps per sample.
/// </summary>
public readonly struct WeightGradientLayout
{
    internal WeightGradientLayout(int rows, int height, int width, int group, int columns)
    {
        (Rows, Height, Width, Group, Columns) = (rows, height, width, group, columns);
        Blocks = (rows + Channels - 1) / Channels;
        GroupsPerRow = (width + group - 1) / group;
    }

    /// <summary>Output channels (rows of D).</summary>
    public int Rows { get; }

    /// <summary>Output rows per plane.</summary>
    public int Height { get; }

    /// <summary>Output columns per row.</summary>
    public int Width { get; }

    /// <summary>Consecutive positions of one channel side by side in a step: 1, 2, 4 or 8.</summary>
    public int Group { get; }

    /// <summary>Floats per step of a block: the register block's width (four vectors).</summary>
    public int Columns { get; }

    /// <summary>Output channels per block.</summary>
    public int Channels => Columns / Group;

    /// <summary>Blocks of channels.</summary>
    public int Blocks { get; }

    /// <summary>Steps per output row.</summary>
    public int GroupsPerRow { get; }

    /// <summary>Steps per sample.</summary>
    public int Groups => Height * GroupsPerRow;

    /// <summary>Floats of one sample's packed D.</summary>
    public int PackedLength => Blocks * Groups * Columns;

    /// <summary>Floats of the partial sums for <paramref name="taps"/> taps.</summary>
    public int SumsLength(int taps) => Blocks * taps * Columns;
}
