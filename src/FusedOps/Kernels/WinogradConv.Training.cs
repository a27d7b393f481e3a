using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// The weight transform for training, where the weights change every step and are transformed once per Forward (and once per
/// Backward, flipped and transposed, for the input gradient): <see cref="Pack"/>'s values bit for bit (the same double arithmetic,
/// rounded once), 16 output channels at a time in Vector512 lanes (Vector256 at 256 bits). <see cref="Pack"/> takes one channel pair at a time through
/// spans; on case C's 64 × 64 pairs that was 0.4–0.7 ms a call, a third of the product it feeds.
/// Also the padded route's Vector256 input transform with each 8 tiles in the order shufps leaves them, [0 1 4 5 | 2 3 6 7]
/// (<see cref="InputRowShuffled256"/>): <see cref="InputRow256"/>'s values without the lane permute after each de-interleave (half
/// its shuffles), the direct route's block (<c>BlockDirect256</c>) on the padded planes. The training products read it: the
/// forward and the input gradient through <see cref="Run"/> (NarrowRow256 with <c>ShuffledTiles</c>: lane by lane, the order
/// only where pixels are stored), and the weight gradient (WeightBlock256 broadcasts tile t from its shuffled place, so every
/// sum still takes its tiles in order). The same bits.
/// </content>
public static unsafe partial class WinogradConv
{
    /// <summary>
    /// <see cref="Pack"/> (or, with <paramref name="transposeFlip"/>, <see cref="PackTransposedFlipped"/>) into
    /// <paramref name="packed"/>, the same bits; <paramref name="staging"/> holds 9 × <see cref="WinogradShape.OutPad"/> floats.
    /// Vector512 where the Vector512 path runs, Vector256 (4 lanes of doubles at a time) where the Vector256 path runs, else
    /// <see cref="Pack"/>'s own loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackForTraining(in WinogradShape shape, ReadOnlySpan<float> w, Span<float> packed, bool transposeFlip, Span<float> staging)
    {
        int cin = shape.Channels, cout = shape.OutChannels, pad = shape.OutPad;
        bool wide = KernelDispatch.Level == 2 && Vector512.IsHardwareAccelerated;
        if (!wide && !(KernelDispatch.Level == 1 && Vector256.IsHardwareAccelerated))
        {
            PackCore(in shape, w, packed, transposeFlip);
            return;
        }

        shape.Check();
        CheckLength(w.Length, cout * cin * 9, nameof(w));
        CheckLength(packed.Length, shape.PackedLength, nameof(packed));
        CheckLength(staging.Length, 9 * pad, nameof(staging));
        fixed (float* pw = w, pp = packed, g = staging)
        {
            new Span<float>(g, 9 * pad).Clear();
            for (int c = 0; c < cin; c++)
            {
                // g[k][o]: the 3 × 3 kernel of the pair (o, c), output channels in a row (the padding lanes stay zero).
                for (int o = 0; o < cout; o++)
                {
                    float* from = transposeFlip ? pw + ((((nint)c * cout) + o) * 9) : pw + ((((nint)o * cin) + c) * 9);
                    for (int k = 0; k < 9; k++)
                    {
                        g[((nint)k * pad) + o] = from[transposeFlip ? 8 - k : k];
                    }
                }

                for (int o = 0; o < pad; o += 16)
                {
                    if (wide)
                    {
                        TransformLanes(g + o, pad, pp + ((nint)c * pad) + o, (nint)cin * pad);
                    }
                    else
                    {
                        TransformLanes256(g + o, pad, pp + ((nint)c * pad) + o, (nint)cin * pad);
                    }
                }
            }
        }
    }

    // U = G g Gᵀ for 16 output channels: g[k·stride + lane], U[ξ] to u[ξ·uStride + lane]; Transform's operations in double, on
    // each half of the lanes, rounded once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformLanes(float* g, int stride, float* u, nint uStride)
    {
        Vector512<double> half = Vector512.Create(0.5);
        for (int h = 0; h < 16; h += 8)
        {
            for (int i = 0; i < 4; i++)
            {
                // Row i of G g: t[i][j] for j = 0…2 (Transform's t[3i + j]).
                Vector512<double> r0 = Row(i, 0), r1 = Row(i, 1), r2 = Row(i, 2);
                Store(r0, u + ((4 * i) * uStride) + h);
                Store(half * (r0 + r1 + r2), u + (((4 * i) + 1) * uStride) + h);
                Store(half * (r0 - r1 + r2), u + (((4 * i) + 2) * uStride) + h);
                Store(r2, u + (((4 * i) + 3) * uStride) + h);
            }

            Vector512<double> Row(int i, int j)
            {
                Vector512<double> g0 = Weight(j), g1 = Weight(3 + j), g2 = Weight(6 + j);
                return i switch
                {
                    0 => g0,
                    1 => half * (g0 + g1 + g2),
                    2 => half * (g0 - g1 + g2),
                    _ => g2,
                };
            }

            Vector512<double> Weight(int k) => Vector512.WidenLower(Vector512.Create(Vector256.Load(g + ((nint)k * stride) + h), Vector256<float>.Zero));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<double> v, float* u) => Vector512.Narrow(v, Vector512<double>.Zero).GetLower().Store(u);

    // TransformLanes at 256 bits: the same operations in double on four lanes at a time, rounded once. The rows of G g are formed
    // once per four lanes (each t[i][j] from its three weights, as TransformLanes forms it) and kept for the four rows of U: through
    // a local function per (i, j), not inlined, that formed each three times over took 3.5 % of case C's training step on AVX2.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformLanes256(float* g, int stride, float* u, nint uStride)
    {
        Vector256<double> half = Vector256.Create(0.5);
        Vector256<double>* t = stackalloc Vector256<double>[12];
        for (int h = 0; h < 16; h += 4)
        {
            float* gh = g + h, uh = u + h;
            for (int j = 0; j < 3; j++)
            {
                // Column j of G g, rows 0…3 (Transform's t[3i + j]); U's rows 4i … 4i + 3 from row i once all three columns are formed.
                Vector256<double> g0 = Weight256(gh, j * stride), g1 = Weight256(gh, (3 + j) * stride), g2 = Weight256(gh, (6 + j) * stride);
                t[j] = g0;
                t[3 + j] = half * (g0 + g1 + g2);
                t[6 + j] = half * (g0 - g1 + g2);
                t[9 + j] = g2;
            }

            for (int i = 0; i < 4; i++)
            {
                Vector256<double> r0 = t[3 * i], r1 = t[(3 * i) + 1], r2 = t[(3 * i) + 2];
                Store256(r0, uh + ((4 * i) * uStride));
                Store256(half * (r0 + r1 + r2), uh + (((4 * i) + 1) * uStride));
                Store256(half * (r0 - r1 + r2), uh + (((4 * i) + 2) * uStride));
                Store256(r2, uh + (((4 * i) + 3) * uStride));
            }
        }
    }

    // Four lanes of g[k][·] widened to double (k·stride floats on).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Weight256(float* g, nint at) => Vector256.WidenLower(Vector256.Create(Vector128.Load(g + at), Vector128<float>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(Vector256<double> v, float* u) => Vector256.Narrow(v, Vector256<double>.Zero).GetLower().Store(u);

    // V[ξ][c][tile] for every tile of row ty (8 at a time, up to TilePad; tiles past the row read zeros), each 8 in the order
    // [0 1 4 5 | 2 3 6 7]: InputRow256's loads (masked where a block reaches past the row, a row below the plane read as zeros)
    // and operations.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputRowShuffled256(in Call run, int ty)
    {
        int cin = run.Shape.Channels, tp = run.TilePad, width = run.Shape.InWidth;
        bool fourth = run.Shape.InHeight - (2 * ty) >= 4;
        nint step = run.VStep, len = run.InRow;
        Vector256<float>* zeros = stackalloc Vector256<float>[3];
        zeros[0] = zeros[1] = zeros[2] = Vector256<float>.Zero;
        for (int t = 0; t < tp; t += 8)
        {
            int valid = run.WholeRows ? 18 : width - (2 * t);
            Vector256<float> m0 = Below256(valid), m1 = Below256(valid - 8), m2 = Below256(valid - 2), m3 = Below256(valid - 10);
            for (int c = 0; c < cin; c++)
            {
                float* r = run.Input + ((nint)c * run.InPlane) + ((nint)(2 * ty) * len) + (2 * t), v = run.V + ((nint)c * tp) + t;
                float* r3 = fourth ? r + (3 * len) : (float*)zeros;
                if (valid >= 18)
                {
                    BlockDirect256(r, r + len, r + (2 * len), r3, v, step, false, m0, m1, m2, m3);
                }
                else
                {
                    BlockDirect256(r, r + len, r + (2 * len), r3, v, step, true, m0, m1, m2, m3);
                }
            }
        }
    }
}
