using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
#if NET9_0_OR_GREATER
using System.Runtime.Intrinsics.X86;
#endif

namespace FusedOps.Kernels;

/// <summary>
/// The Vector512 epilogue without a column operator (<c>FinishColumns512</c>'s plain instantiation): the per-column scale and shift
/// (and a partial panel's masks) read once per tile, then each parked row finished as <c>Store512</c> does, in the same order
/// (scale, shift, C, activation), so the bits are the same.
/// </summary>
/// <remarks>
/// The per-row version re-read the call's fields and branched per vector; it took 2 % of case M's <c>Frozen.Infer</c> (perf).
/// </remarks>
public static partial class PackedGemm
{
    // Whole panels: one, or two when `two`.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void FinishWhole512<TAct>(in GemmCall g, TAct act, float* scratch, int r, int rows, int col, bool two)
        where TAct : struct, IActivationOperator
    {
        bool scale = g.Scale != null, shift = g.Shift != null, accumulate = g.Accumulate;
        Vector512<float> s0 = scale ? Vector512.Load(g.Scale + col) : default, s1 = scale && two ? Vector512.Load(g.Scale + col + PanelWidth) : default;
        Vector512<float> h0 = shift ? Vector512.Load(g.Shift + col) : default, h1 = shift && two ? Vector512.Load(g.Shift + col + PanelWidth) : default;
        nint ldc = g.Ldc;
        float* c = g.C + ((nint)r * ldc) + col;
        for (int i = 0; i < rows; i++, scratch += 2 * PanelWidth, c += ldc)
        {
            Vector512<float> v0 = ScaleShift(Vector512.Load(scratch), scale, s0, shift, h0);
            Vector512.Store(act.Invoke(accumulate ? v0 + Vector512.Load(c) : v0), c);
            if (two)
            {
                Vector512<float> v1 = ScaleShift(Vector512.Load(scratch + PanelWidth), scale, s1, shift, h1);
                Vector512.Store(act.Invoke(accumulate ? v1 + Vector512.Load(c + PanelWidth) : v1), c + PanelWidth);
            }
        }
    }

    // scale·v + shift, to which the caller adds C: Store512's order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ScaleShift(Vector512<float> v, bool scale, Vector512<float> s, bool shift, Vector512<float> h)
    {
        if (scale)
        {
            v *= s;
        }

        return shift ? v + h : v;
    }

#if NET9_0_OR_GREATER
    // A partial panel (width0 < 16, or a second panel of width1 < 16 columns): StorePartial512's masked loads and stores (case M's
    // last Linear: 10 columns).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void FinishMasked512<TAct>(in GemmCall g, TAct act, float* scratch, int r, int rows, int col, int width0, int width1)
        where TAct : struct, IActivationOperator
    {
        bool scale = g.Scale != null, shift = g.Shift != null, accumulate = g.Accumulate, two = width1 > 0;
        Vector512<float> m0 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(width0)).AsSingle();
        Vector512<float> m1 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(width1)).AsSingle();
        Vector512<float> s0 = scale ? Avx512F.MaskLoad(g.Scale + col, m0, Vector512<float>.Zero) : default;
        Vector512<float> s1 = scale && two ? Avx512F.MaskLoad(g.Scale + col + PanelWidth, m1, Vector512<float>.Zero) : default;
        Vector512<float> h0 = shift ? Avx512F.MaskLoad(g.Shift + col, m0, Vector512<float>.Zero) : default;
        Vector512<float> h1 = shift && two ? Avx512F.MaskLoad(g.Shift + col + PanelWidth, m1, Vector512<float>.Zero) : default;
        nint ldc = g.Ldc;
        float* c = g.C + ((nint)r * ldc) + col;
        for (int i = 0; i < rows; i++, scratch += 2 * PanelWidth, c += ldc)
        {
            Vector512<float> v0 = ScaleShift(Vector512.Load(scratch), scale, s0, shift, h0);
            Avx512F.MaskStore(c, m0, act.Invoke(accumulate ? v0 + Avx512F.MaskLoad(c, m0, Vector512<float>.Zero) : v0));
            if (two)
            {
                float* c1 = c + PanelWidth;
                Vector512<float> v1 = ScaleShift(Vector512.Load(scratch + PanelWidth), scale, s1, shift, h1);
                Avx512F.MaskStore(c1, m1, act.Invoke(accumulate ? v1 + Avx512F.MaskLoad(c1, m1, Vector512<float>.Zero) : v1));
            }
        }
    }
#endif
}
