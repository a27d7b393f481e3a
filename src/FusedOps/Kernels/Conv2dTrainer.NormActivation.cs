using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// The backward of a Conv2d → BatchNorm → activation group whose reduction pass stored no dU (<see cref="TrainingPasses.BackwardSums"/>):
/// per sample, dU = act′(dY) at u = z·scale + shift is recomputed into the part's scratch (in <see cref="ActivationPass.BackwardReduce"/>'s
/// arithmetic: the same bits), and BatchNorm's input gradient is formed from it as it goes onto the grid.
/// </content>
public sealed unsafe partial class Conv2dTrainer
{
    private Epilogue? _normActivationCache;

    // NormBackward with ReLU: FillGradientPlane applies ReLU′ at z·scale + shift first.
    private bool _normRelu;
    private float[] _normScale = [], _normShift = [];

    /// <summary>
    /// <see cref="Backward(float[], ref float, float[], ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{double}, ReadOnlySpan{double}, long, float[], float[], float[], ref float, bool, int)"/>
    /// from the gradient <paramref name="dy"/> at the activation's output (not BatchNorm's): dU = act′(dY) at z·<paramref name="scale"/> +
    /// <paramref name="shift"/> per sample, then the BatchNorm input gradient, as it goes onto the grid. <paramref name="sumDu"/> and
    /// <paramref name="sumDuXhat"/> are the reductions of that dU over the batch.
    /// </summary>
    public void NormBackward<TAct>(TAct act, float[] scale, float[] shift, float[] input, ref float dy, float[] z, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, ReadOnlySpan<double> sumDu, ReadOnlySpan<double> sumDuXhat, long count, float[] weight,
        float[] weightGrad, float[]? biasGrad, ref float dx, bool wantInput, int n)
        where TAct : struct, IActivationOperator
    {
        if (typeof(TAct) == typeof(ReluOperator))
        {
            // ReLU′ is a select: formed on the way onto the grid itself (FillGradientPlane), no scratch pass per sample.
            if (_normScale.Length != _oc)
            {
                (_normScale, _normShift) = (new float[_oc], new float[_oc]);
            }

            Array.Copy(scale, _normScale, _oc);
            Array.Copy(shift, _normShift, _oc);
            _normRelu = true;
            try
            {
                Backward(input, ref dy, z, gamma, mean, invStd, sumDu, sumDuXhat, count, weight, weightGrad, biasGrad, ref dx, wantInput, n);
            }
            finally
            {
                _normRelu = false;
            }

            return;
        }

        if (_normActivationCache is not NormActivationEpilogue<TAct> e)
        {
            _normActivationCache = e = new NormActivationEpilogue<TAct>(this);
        }

        (e.Act, e.Scale, e.Shift, e.Z) = (act, scale, shift, z);
        _epilogue = e;
        try
        {
            Backward(input, ref dy, z, gamma, mean, invStd, sumDu, sumDuXhat, count, weight, weightGrad, biasGrad, ref dx, wantInput, n);
        }
        finally
        {
            _epilogue = null;
        }
    }

    private sealed class NormActivationEpilogue<TAct>(Conv2dTrainer trainer) : Epilogue(trainer)
        where TAct : struct, IActivationOperator
    {
        public TAct Act;
        public float[] Scale = [], Shift = [], Z = [];

        public override void Forward(int s, ref float z) => throw new InvalidOperationException("Only the backward recomputes dU.");

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override ref float Backward(int s, int part, ref float scratch)
        {
            int spatial = Trainer._oh * Trainer._ow, length = Trainer.OutLength;
            ref float dy = ref Dy(s, length);
            ref float z = ref Z[s * length];
            bool vector = KernelDispatch.Level >= 1 && spatial >= 8;
            TAct act = Act;
            for (int c = 0; c < Trainer._oc; c++)
            {
                int o = c * spatial, i = 0;
                float sc = Scale[c], sh = Shift[c];
                if (vector)
                {
                    Vector256<float> vs = Vector256.Create(sc), vt = Vector256.Create(sh);
                    for (; i <= spatial - 8; i += 8)
                    {
                        Vector256<float> zv = Vector256.LoadUnsafe(ref z, (nuint)(o + i));
                        act.Backward(Vector256.LoadUnsafe(ref dy, (nuint)(o + i)), (zv * vs) + vt).StoreUnsafe(ref scratch, (nuint)(o + i));
                    }
                }

                for (; i < spatial; i++)
                {
                    Unsafe.Add(ref scratch, o + i) = act.Backward(Unsafe.Add(ref dy, o + i), (Unsafe.Add(ref z, o + i) * sc) + sh);
                }
            }

            return ref scratch;
        }
    }
}
