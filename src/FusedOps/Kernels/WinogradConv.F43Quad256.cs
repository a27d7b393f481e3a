using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// F(4 × 4, 3 × 3) at 256 bits on rows of at most 4 tiles (output rows of 13 to 16 pixels: 14 × 14 planes) with a plain
/// epilogue (<see cref="Flat43"/>): two tile rows share a vector of 8 tiles, so the 16 tiles of a 14 × 14 plane are two vectors
/// and one pass of <see cref="Product256{TN}"/>, where two tile rows a pass (<c>Call43.Paired</c>) left half of every vector
/// idle. Lanes [ta:0 ta:2 tb:0 tb:2 | ta:1 ta:3 tb:1 tb:3]: the row transform's loads at +16 and +24 (tiles 4 … 7) read tile
/// row tb's input row at +0 and +8 instead, and the output's transpose back to pixels leaves row ta's 16 pixels in the first
/// two vectors and tb's in the other two. Each lane's operations are those of the paired layout, so the same bits.
/// </content>
public static unsafe partial class WinogradConv
{
    /// <summary>
    /// Whether <see cref="RunStrided43x256{TAct}"/> packs rows of at most 4 tiles two to a vector (four tile rows a pass) when the
    /// epilogue has no pool and no residual (default true); else such rows run two a pass, half of each vector idle. Both give
    /// the same bits. Process-wide, for benchmarks and tests that compare the layouts.
    /// </summary>
    public static bool Flat43 { get; set; } = true;

    // Tile rows ty … ty + n − 1 (n = 1 … 4) of at most 4 tiles: rows ty, ty + 1 in V's tiles 0 … 7, ty + 2, ty + 3 in 8 … 15; the
    // 36 products per 16 output channels (one vector where n ≤ 2), then each vector's output transform and epilogue.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Quad43x256<TAct>(TAct act, in Call43 run, int ty, int n)
        where TAct : struct, IActivationOperator
    {
        InputQuad43x256(in run, ty, n > 1, 0);
        if (n > 2)
        {
            InputQuad43x256(in run, ty + 2, n > 3, 8);
        }

        int cin = run.Shape.Channels, pad = run.Shape.OutPad, tp = run.TilePad;
        for (int o0 = 0; o0 < pad; o0 += 16)
        {
            int o1 = Math.Min(16, run.Shape.OutChannels - o0);
            for (int xi = 0; xi < 36; xi++)
            {
                float* v = run.V + ((nint)xi * run.VStep), u = run.Weights + ((nint)xi * cin * pad) + o0, m = run.M + ((nint)xi * run.MStep);
                if (n > 2)
                {
                    ProductsOfTwoVectors256(v, tp, u, pad, cin, m, o1);
                }
                else
                {
                    ProductsOfOneVector256(v, tp, u, pad, cin, m, Math.Min(16, (o1 + 3) & ~3), 16);
                }
            }

            OutputQuad43x256(act, in run, ty, n > 1, o0, o1, 0);
            if (n > 2)
            {
                OutputQuad43x256(act, in run, ty + 2, n > 3, o0, o1, 8);
            }
        }
    }

    // V[ξ][c][slot + lane] for tile row ta (lanes 0, 1, 4, 5) and, with `second`, ta + 1 (lanes 2, 3, 6, 7; else zeros): each row's
    // 6 × 6 inputs as InputRow43x256 forms them.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputQuad43x256(in Call43 run, int ta, bool second, int slot)
    {
        int cin = run.Shape.Channels, tp = run.TilePad, width = run.Width, ra = (4 * ta) - run.Padding, s = -run.Padding;
        nint step = run.VStep, plane = run.InPlane;
        float* zeros = run.Zeros, stage = run.T;
        nint* rows = stackalloc nint[12];
        for (int i = 0; i < 6; i++)
        {
            rows[i] = Offset(ra + i, run.Height, width);
            rows[6 + i] = second ? Offset(ra + 4 + i, run.Height, width) : -1;
        }

        // Loads at +0, +8 (columns 0 … 3 of the 4 tiles) and +4, +12 (columns 4 and 5) of each row from column −padding.
        bool whole = s >= 0 && s + 20 <= width;
        var masks = new Masks43(s, width);
        for (int c = 0; c < cin; c++)
        {
            float* p = run.Input + (c * plane) + s, v = run.V + ((nint)c * tp) + slot;
            for (int i = 0; i < 6; i++)
            {
                float* a = rows[i] < 0 ? zeros : p + rows[i], b = rows[6 + i] < 0 ? zeros : p + rows[6 + i];

                // The second row's tiles where the row transform reads tiles 4 … 7, with the first row's masks.
                if (whole)
                {
                    RowTransform43(a, b, stage + (48 * i), false, masks.M0, masks.M8, masks.M0, masks.M8, masks.M4, masks.M12, masks.M4, masks.M12);
                }
                else
                {
                    RowTransform43(a, b, stage + (48 * i), true, masks.M0, masks.M8, masks.M0, masks.M8, masks.M4, masks.M12, masks.M4, masks.M12);
                }
            }

            ColumnTransforms43(stage, v, step);
        }
    }

    // Y = Aᵀ M A of the vector at M's `half` (tile rows ta and, with `second`, ta + 1) for channels o0 … o0 + o1 − 1, then
    // scale · y + shift and the activation; each output row's 16 columns of ta (and of ta + 1) stored, the first OutWidth.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OutputQuad43x256<TAct>(TAct act, in Call43 run, int ta, bool second, int o0, int o1, int half)
        where TAct : struct, IActivationOperator
    {
        int ow = run.Shape.OutWidth, count = Math.Min(16, ow);
        int rowsA = Math.Min(4, run.Shape.OutHeight - (4 * ta)), rowsB = second ? Math.Min(4, run.Shape.OutHeight - (4 * (ta + 1))) : 0;
        nint ms = run.MStep, outRow = run.OutRow;
        float* stage = run.T;
        for (int k = 0; k < o1; k++)
        {
            int o = o0 + k;
            Vector256<float> a = Vector256.Create(run.Scale[o]), h = Vector256.Create(run.Shift[o]);
            StageOutput43(run.M + (16 * k) + half, ms, stage);
            float* ya = run.Output + ((nint)o * run.OutPlane) + ((nint)(4 * ta) * outRow), yb = ya + (4 * outRow);
            for (int i = 0; i < rowsA; i++)
            {
                OutputRow43(stage + (48 * i), a, h, out var y0, out var y1, out var y2, out var y3);
                y0 = act.Invoke(y0);
                y1 = act.Invoke(y1);
                y2 = act.Invoke(y2);
                y3 = act.Invoke(y3);
                Transpose4InLanes(ref y0, ref y1, ref y2, ref y3);
                StorePartial256x2(ya + (i * outRow), count, y0, y1);
                if (i < rowsB)
                {
                    StorePartial256x2(yb + (i * outRow), count, y2, y3);
                }
            }
        }
    }
}
