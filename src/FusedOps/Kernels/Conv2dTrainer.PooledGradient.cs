using System;

namespace FusedOps.Kernels;

/// <content>
/// The backward of a Conv2d → BatchNorm → ReLU group whose MaxPool2d ran in its normalise pass, taking the pool's output gradient: each
/// sample's full-size gradient (the pool's input gradient) is formed in the part's scratch by <see cref="Pooling.MaxBackward"/> (the
/// values the pool's own pass stores: the same bits) and goes onto the grid from there, so the pool's backward is not a pass over the
/// batch and its full-size gradient is never stored (with <see cref="TrainingPasses.PoolBackwardSums"/> for the reductions).
/// </content>
public sealed unsafe partial class Conv2dTrainer
{
    private PooledGradientEpilogue? _pooledCache;

    /// <summary>
    /// <see cref="NormBackward"/> with ReLU from the gradient <paramref name="pooledDy"/> at the output of MaxPool2d(<paramref name="pool"/>)
    /// after the activation (<c>n × out channels × pool.OutPlane</c>), <paramref name="argMax"/> its forward's arg-max (each window's index in
    /// its input plane).
    /// </summary>
    public void PooledNormBackward(ReluOperator act, float[] scale, float[] shift, Pooling.Window pool, int[] argMax, float[] input, ref float pooledDy,
        float[] z, ReadOnlySpan<float> gamma, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, ReadOnlySpan<double> sumDu,
        ReadOnlySpan<double> sumDuXhat, long count, float[] weight, float[] weightGrad, float[]? biasGrad, ref float dx, bool wantInput, int n)
    {
        if (pool.InPlane != _oh * _ow)
        {
            throw new ArgumentException($"The pool's input plane must be the conv's output plane, {_oh * _ow} values, but is {pool.InPlane}.", nameof(pool));
        }

        if (argMax.Length < (long)n * _oc * pool.OutPlane)
        {
            throw new ArgumentException($"argMax needs {(long)n * _oc * pool.OutPlane} values (n × out channels × pooled plane), but has {argMax.Length}.", nameof(argMax));
        }

        PooledGradientEpilogue e = _pooledCache ??= new PooledGradientEpilogue(this);
        (e.ArgMax, e.Window) = (argMax, pool);
        _epilogue = e;
        try
        {
            NormBackward(act, scale, shift, input, ref pooledDy, z, gamma, mean, invStd, sumDu, sumDuXhat, count, weight, weightGrad, biasGrad, ref dx, wantInput, n);
        }
        finally
        {
            _epilogue = null;
            e.ArgMax = [];
        }
    }

    private sealed class PooledGradientEpilogue(Conv2dTrainer trainer) : Epilogue(trainer)
    {
        public int[] ArgMax = [];
        public Pooling.Window Window;

        public override void Forward(int s, ref float z) => throw new InvalidOperationException("Only the backward forms the pool's input gradient.");

        public override ref float Backward(int s, int part, ref float scratch)
        {
            int pooled = Trainer._oc * Window.OutPlane;
            Pooling.MaxBackward(ref Dy(s, pooled), ref ArgMax[s * pooled], ref scratch, Trainer._oc, Window);
            return ref scratch;
        }
    }
}
