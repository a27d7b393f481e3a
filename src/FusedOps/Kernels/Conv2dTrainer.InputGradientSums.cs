using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// The previous group's BatchNorm reductions on this conv's input gradient, per sample right after it is formed (in cache), when that
/// group's normalise and activation run in this conv's input pad (its z is this conv's input, whose planes the backward's re-pad has
/// just read): Σ act′(dX) and Σ act′(dX)·x̂ per channel and sample, optionally after adding a saved tensor's gradient to dX in place.
/// The arithmetic of <see cref="TrainingPasses.BackwardSums"/> / <see cref="TrainingPasses.AddBackwardSums"/> per sample; the per-sample
/// values are added in those passes' order by <see cref="TrainingPasses.FinishSums"/>, so the results are the same bits, and the pass
/// that read dX (and z) back from memory is gone.
/// </content>
public sealed unsafe partial class Conv2dTrainer
{
    private InputSums? _inputSums, _inputSumsCache;

    /// <summary>
    /// For the next <see cref="Backward(float[], ref float, float[], float[], float[], ref float, bool, int)"/> (or its variants) only, which
    /// must want the input gradient: after each sample's dX is formed, <paramref name="saved"/> (when given) is added to it in place, and
    /// <c>Σ act′(dX)</c> and <c>Σ act′(dX)·x̂</c> at <c>u = z·scale + shift</c>, <c>x̂ = (z − mean)·invStd</c>, are written per channel to
    /// <paramref name="perSample"/> [s·2C … s·2C + C) and [s·2C + C … (s + 1)·2C), C the input channels. <paramref name="z"/> is the
    /// previous group's z (n × C × H × W).
    /// </summary>
    public void ReduceInputGradient<TAct>(TAct act, float[] z, float[] scale, float[] shift, float[] mean, float[] invStd, float[]? saved, double[] perSample)
        where TAct : struct, IActivationOperator
    {
        if (_inputSumsCache is not InputSums<TAct> sums)
        {
            _inputSumsCache = sums = new InputSums<TAct>();
        }

        (sums.Act, sums.Z, sums.Scale, sums.Shift, sums.Mean, sums.InvStd, sums.Saved, sums.PerSample) = (act, z, scale, shift, mean, invStd, saved, perSample);
        sums.SavedPooled = null;
        _inputSums = sums;
    }

    // After sample s's input gradient is formed: the reductions set by ReduceInputGradient, if any.
    // planeScratch: one input plane's room, free at this point (the grids').
    private void ReduceInputGradientSample(int s, ref float dx, ref float planeScratch)
    {
        if (_inputSums is { } sums)
        {
            sums.Sample(this, s, ref dx, ref planeScratch);
        }
    }

    // The sums are set for one Backward: checked before it runs, dropped after it.
    private void CheckInputSums(int n, bool wantInput)
    {
        if (_inputSums is not { } sums)
        {
            return;
        }

        int length = InLength;
        if (!wantInput || sums.Z.Length < (long)n * length || sums.PerSample.Length < (long)n * 2 * _c || (sums.Saved is { } saved && saved.Length < (long)n * length)
            || (sums.SavedPooled is { } pooled && (pooled.Length < (long)n * _c * sums.SavedWindow.OutPlane || sums.SavedArgMax.Length < (long)n * _c * sums.SavedWindow.OutPlane)))
        {
            _inputSums = null;
            throw new ArgumentException($"ReduceInputGradient needs the input gradient wanted, z and saved of {(long)n * length} values (pooled: n × channels × the pooled plane, and its arg-max) and perSample of {(long)n * 2 * _c}.", nameof(wantInput));
        }
    }

    // The vector width CropRows copies rows of w with: 256 (8-wide) from 256-bit vectors and rows of 8, else 128 (4-wide) from 128-bit
    // vectors and rows of 4, else 0 (scalar). The copy and the one addition give the same values at every width.
    private static int CropBits(int w) =>
        KernelDispatch.RuntimeBits >= 256 && w >= 8 ? 256 : KernelDispatch.RuntimeBits >= 128 && w >= 4 ? 128 : 0;

    // One plane's rows from the grid (rows wp apart) into dst (rows w apart), plus saved (laid out as dst) when TAdd: CropInput's
    // vector copy at the width CropBits chose, the overlapping last vector recomputing the same sums of the same values.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CropRows<TAdd>(ref float grid, ref float saved, ref float dst, int h, int w, int wp, int bits)
        where TAdd : struct, IFlag
    {
        for (int y = 0; y < h; y++)
        {
            ref float src = ref Unsafe.Add(ref grid, y * wp);
            ref float to = ref Unsafe.Add(ref dst, y * w);
            ref float add = ref Unsafe.Add(ref saved, y * w);
            if (bits == 256)
            {
                int i = 0;
                for (; i <= w - 8; i += 8)
                {
                    Vector256<float> v = Vector256.LoadUnsafe(ref src, (nuint)i);
                    if (default(TAdd).On)
                    {
                        v += Vector256.LoadUnsafe(ref add, (nuint)i);
                    }

                    v.StoreUnsafe(ref to, (nuint)i);
                }

                if (i < w)
                {
                    Vector256<float> v = Vector256.LoadUnsafe(ref src, (nuint)(w - 8));
                    if (default(TAdd).On)
                    {
                        v += Vector256.LoadUnsafe(ref add, (nuint)(w - 8));
                    }

                    v.StoreUnsafe(ref to, (nuint)(w - 8));
                }
            }
            else if (bits == 128)
            {
                CropRow128<TAdd>(ref src, ref add, ref to, w);
            }
            else
            {
                for (int i = 0; i < w; i++)
                {
                    float v = Unsafe.Add(ref src, i);
                    if (default(TAdd).On)
                    {
                        v += Unsafe.Add(ref add, i);
                    }

                    Unsafe.Add(ref to, i) = v;
                }
            }
        }
    }

    // CropRows' row at 128 bits (w ≥ 4): 4 values a step, the last 4 overlapping.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CropRow128<TAdd>(ref float src, ref float add, ref float to, int w)
        where TAdd : struct, IFlag
    {
        int i = 0;
        for (; i <= w - 4; i += 4)
        {
            Vector128<float> v = Vector128.LoadUnsafe(ref src, (nuint)i);
            if (default(TAdd).On)
            {
                v += Vector128.LoadUnsafe(ref add, (nuint)i);
            }

            v.StoreUnsafe(ref to, (nuint)i);
        }

        if (i < w)
        {
            Vector128<float> v = Vector128.LoadUnsafe(ref src, (nuint)(w - 4));
            if (default(TAdd).On)
            {
                v += Vector128.LoadUnsafe(ref add, (nuint)(w - 4));
            }

            v.StoreUnsafe(ref to, (nuint)(w - 4));
        }
    }

    private abstract class InputSums
    {
        public float[] Z = [], Scale = [], Shift = [], Mean = [], InvStd = [];
        public float[]? Saved;
        public double[] PerSample = [];

        // The saved tensor's gradient as a MaxPool2d's pooled gradient (the pooled ReduceInputGradient), or null.
        public float[]? SavedPooled;
        public int[] SavedArgMax = [];
        public Pooling.Window SavedWindow;

        public abstract void Sample(Conv2dTrainer t, int s, ref float dx, ref float planeScratch);

        // Sample on the input gradient still on its grid (the padded-width planes of Qxp, rows of Wp): each channel's plane cropped
        // into dx, with the saved gradient added as it is copied, then its sums while it is in L1.
        public abstract void CropSample(Conv2dTrainer t, int s, ref float grid, ref float dx, ref float planeScratch);
    }

    private sealed class InputSums<TAct> : InputSums
        where TAct : struct, IActivationOperator
    {
        public TAct Act;

        public override void Sample(Conv2dTrainer t, int s, ref float dx, ref float planeScratch)
        {
            int c = t._c, spatial = t._h * t._w, length = c * spatial;
            if (Saved is { } saved)
            {
                ConvHelpers.Add(ref saved[s * length], ref dx, length);
            }
            else if (SavedPooled is { } pooled)
            {
                // The saved gradient formed per plane in L1 (the values the stored one held) and added as that one was.
                int op = SavedWindow.OutPlane;
                for (int ci = 0; ci < c; ci++)
                {
                    int po = ((s * c) + ci) * op;
                    Pooling.MaxBackward(ref pooled[po], ref SavedArgMax[po], ref planeScratch, 1, SavedWindow);
                    ConvHelpers.Add(ref planeScratch, ref Unsafe.Add(ref dx, ci * spatial), spatial);
                }
            }

            Span<double> sums = PerSample.AsSpan(s * 2 * c, 2 * c);
            sums.Clear();
            ActivationPass.BackwardReduce(Act, ref dx, ref Z[s * length], ref Unsafe.NullRef<float>(), 1, c, spatial, ref Scale[0], ref Shift[0], ref Mean[0],
                ref InvStd[0], ref sums[0], ref sums[c]);
        }

        // Per channel plane: CropInput's copy of its rows, the saved gradient (or the pooled one's plane, formed first in the scratch)
        // added to each value as Sample's Add adds it (dX + saved, the same operands), then BackwardReduce on the one plane, which runs
        // the loop the sample's call runs for that channel: the same bits as CropInput and Sample. The cropped sample was read back
        // from L2 twice (the Add, then the sums); a plane is 3 KB.
        public override void CropSample(Conv2dTrainer t, int s, ref float grid, ref float dx, ref float planeScratch)
        {
            int c = t._c, h = t._h, w = t._w, wp = t._wp, qxp = t._qxp, spatial = h * w, length = c * spatial;
            int bits = CropBits(w);
            Span<double> sums = PerSample.AsSpan(s * 2 * c, 2 * c);
            sums.Clear();
            for (int ci = 0; ci < c; ci++)
            {
                ref float to = ref Unsafe.Add(ref dx, ci * spatial);
                scoped ref float saved = ref Unsafe.NullRef<float>();
                if (Saved is { } whole)
                {
                    saved = ref whole[(s * length) + (ci * spatial)];
                }
                else if (SavedPooled is { } pooled)
                {
                    int po = ((s * c) + ci) * SavedWindow.OutPlane;
                    Pooling.MaxBackward(ref pooled[po], ref SavedArgMax[po], ref planeScratch, 1, SavedWindow);
                    saved = ref planeScratch;
                }

                ref float plane = ref Unsafe.Add(ref grid, (ci * qxp) + t._pad);
                if (Unsafe.IsNullRef(ref saved))
                {
                    CropRows<No>(ref plane, ref to, ref to, h, w, wp, bits);
                }
                else
                {
                    CropRows<Yes>(ref plane, ref saved, ref to, h, w, wp, bits);
                }

                ActivationPass.BackwardReduce(Act, ref to, ref Z[(s * length) + (ci * spatial)], ref Unsafe.NullRef<float>(), 1, 1, spatial, ref Scale[ci], ref Shift[ci],
                    ref Mean[ci], ref InvStd[ci], ref sums[ci], ref sums[c + ci]);
            }
        }
    }
}
