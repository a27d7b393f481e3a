using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// A Maxout whose pieces do not divide 16, in <see cref="PackedGemm"/>'s epilogue. B's columns are in blocked order: each block of
/// 16 outputs takes <c>pieces</c> panels, panel k holding piece k of the block's 16 outputs; the last outputs (fewer than 16, say
/// m) follow piece-major, piece k of output j at column k·m + j, padded with zero columns to a whole panel. A panel's store
/// finishes its lanes against the outputs already stored (piece 0 stores, later pieces take the maximum, still in L1), so one
/// output's pieces must be stored in piece order by one thread: the tiles run panels in ascending order, and a split over panels
/// keeps each block's panels in one part (<see cref="GemmCall.PanelUnit"/>). No column is wasted but the last panel's padding.
/// </summary>
public static partial class PackedGemm
{
    /// <summary>Columns of B in blocked order for <paramref name="outputs"/> outputs of <paramref name="pieces"/> pieces: whole panels.</summary>
    internal static int MaxoutBlockColumns(int outputs, int pieces)
    {
        int full = outputs / PanelWidth, rest = outputs - (full * PanelWidth);
        return checked((full * PanelWidth * pieces) + ((rest * pieces) + PanelWidth - 1) / PanelWidth * PanelWidth);
    }

    /// <summary>The output and piece column <paramref name="column"/> holds in blocked order; false for a padding column.</summary>
    internal static bool MaxoutBlockSlot(int column, int outputs, int pieces, out int output, out int piece)
    {
        int full = outputs / PanelWidth, fullColumns = full * PanelWidth * pieces;
        if (column < fullColumns)
        {
            int panel = column / PanelWidth;
            (output, piece) = ((panel / pieces * PanelWidth) + (column % PanelWidth), panel % pieces);
            return true;
        }

        int t = column - fullColumns, rest = outputs - (full * PanelWidth);
        if (t >= rest * pieces)
        {
            (output, piece) = (-1, -1);
            return false;
        }

        (output, piece) = ((full * PanelWidth) + (t % rest), t / rest);
        return true;
    }

    /// <summary>Panels per unit of a split over panels: whole blocks, and an even count (the tiles run panel pairs).</summary>
    internal static int MaxoutBlockUnit(int pieces) => pieces % 2 == 0 ? pieces : 2 * pieces;

    /// <summary>
    /// Packs B = Wᵀ (as <see cref="PackTransposed"/>) with W's rows (<paramref name="features"/> = outputs · pieces, output o's
    /// pieces consecutive) in blocked order, padding columns zero.
    /// </summary>
    internal static unsafe void PackTransposedMaxoutBlocks(ReadOnlySpan<float> w, int features, int depth, int pieces, Span<float> packed)
    {
        int outputs = features / pieces, cols = MaxoutBlockColumns(outputs, pieces);
        CheckPack(w.Length, depth, features, 1, depth, packed.Length, nameof(w), nameof(depth));
        if (packed.Length < PackedLength(depth, cols))
        {
            throw new ArgumentException($"packed holds {packed.Length} floats; {PackedLength(depth, cols)} are needed.", nameof(packed));
        }

        fixed (float* pw = w, start = packed)
        {
            float* pp = start + StartPanels(start, depth, cols); // panels on a 64-byte boundary, as PackTransposed
            for (int p = 0; p < Panels(cols); p++)
            {
                float* panel = pp + ((nint)p * depth * PanelWidth);
                if ((p + 1) * PanelWidth <= outputs / PanelWidth * PanelWidth * pieces && Avx2.IsSupported && (long)depth * pieces * PanelWidth < int.MaxValue)
                {
                    // A whole block's panel: piece k of 16 consecutive outputs, rows `pieces` apart in W; two 8-lane gathers per row
                    // of the panel, as PackTransposed.
                    float* rows = pw + ((nint)((p / pieces * PanelWidth * pieces) + (p % pieces)) * depth);
                    Vector256<int> index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * (depth * pieces);
                    float* upper = rows + (8 * (nint)depth * pieces);
                    for (int t = 0; t < depth; t++)
                    {
                        Vector256.Store(Avx2.GatherVector256(rows + t, index, 4), panel + (t * PanelWidth));
                        Vector256.Store(Avx2.GatherVector256(upper + t, index, 4), panel + (t * PanelWidth) + 8);
                    }

                    continue;
                }

                // The last outputs (or no gathers): zero the panel, then read W's rows contiguously.
                new Span<float>(panel, depth * PanelWidth).Clear();
                for (int j = 0; j < PanelWidth; j++)
                {
                    if (!MaxoutBlockSlot((p * PanelWidth) + j, outputs, pieces, out int o, out int k))
                    {
                        continue;
                    }

                    float* source = pw + ((nint)((o * pieces) + k) * depth), target = panel + j;
                    for (int t = 0; t < depth; t++)
                    {
                        target[t * PanelWidth] = source[t];
                    }
                }
            }
        }
    }

    /// <summary>
    /// One finished panel (16 lanes from column <paramref name="col"/>, halves <paramref name="lo"/> and <paramref name="hi"/>) of
    /// row <paramref name="row"/> in blocked order into the outputs: piece 0 stores, a later piece takes the maximum (inference:
    /// <see cref="ConvHelpers.PoolMax(float, float)"/>; training, with winners: the first maximum, the winner beside it).
    /// </summary>
    private static unsafe void StoreMaxoutBlock(in GemmCall g, Vector256<float> lo, Vector256<float> hi, int row, int col)
    {
        int pieces = g.Pieces, panel = col / PanelWidth, o0 = panel / pieces * PanelWidth;
        if (o0 + PanelWidth > g.OutCols)
        {
            // The last outputs, piece-major: lane by lane.
            float* lanes = stackalloc float[PanelWidth];
            Vector256.Store(lo, lanes);
            Vector256.Store(hi, lanes + 8);
            StoreMaxoutBlockLanes(in g, lanes, row, col);
            return;
        }

        int k = panel % pieces;
        float* y = g.Out + ((nint)row * g.OutCols) + o0;
        int* winner = g.Winners == null ? null : g.Winners + ((nint)row * g.OutCols) + o0;
        if (k == 0)
        {
            Vector256.Store(lo, y);
            Vector256.Store(hi, y + 8);
            if (winner != null)
            {
                Vector256.Store(Vector256<int>.Zero, winner);
                Vector256.Store(Vector256<int>.Zero, winner + 8);
            }

            return;
        }

        if (winner == null)
        {
            Vector256.Store(ConvHelpers.PoolMax(Vector256.Load(y), lo), y);
            Vector256.Store(ConvHelpers.PoolMax(Vector256.Load(y + 8), hi), y + 8);
            return;
        }

        Vector256<int> piece = Vector256.Create(k);
        for (int h = 0; h < 2; h++)
        {
            Vector256<float> v = h == 0 ? lo : hi, best = Vector256.Load(y + (8 * h));
            Vector256<float> wins = Vector256.GreaterThan(v, best) | (~Vector256.Equals(v, v) & Vector256.Equals(best, best));
            Vector256.Store(Vector256.ConditionalSelect(wins, v, best), y + (8 * h));
            Vector256.Store(Vector256.ConditionalSelect(wins.AsInt32(), piece, Vector256.Load(winner + (8 * h))), winner + (8 * h));
        }
    }

    /// <summary><see cref="StoreMaxoutBlock"/> on 16 lanes in memory, one at a time (the scalar kernel, and the last outputs).</summary>
    private static unsafe void StoreMaxoutBlockLanes(in GemmCall g, float* lanes, int row, int col)
    {
        float* y = g.Out + ((nint)row * g.OutCols);
        int* winner = g.Winners == null ? null : g.Winners + ((nint)row * g.OutCols);
        for (int j = 0; j < PanelWidth; j++)
        {
            if (!MaxoutBlockSlot(col + j, g.OutCols, g.Pieces, out int o, out int k))
            {
                continue;
            }

            float v = lanes[j];
            if (winner == null)
            {
                y[o] = k == 0 ? v : ConvHelpers.PoolMax(y[o], v);
            }
            else if (k == 0 || v > y[o] || (float.IsNaN(v) && !float.IsNaN(y[o])))
            {
                (y[o], winner[o]) = (v, k);
            }
        }
    }
}
