using System;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <content>
/// The backward of a residual Conv2d → BatchNorm → Add → ReLU → MaxPool2d group whose dU is formed at the pooled size
/// (<see cref="TrainingPasses.PoolMaskBackwardSums"/>): the conv forms each channel plane's dU from the masked pooled gradient
/// (<see cref="Pooling.MaxBackward"/> into its scratch, one plane in L1) as it goes onto the grid, and the conv whose input pad runs
/// the saved group's normalise adds the same dU (the saved tensor's gradient) to its input gradient per plane, so the batch-sized dU
/// is never stored nor read back. The values are those of the stored dU, so the results are the same bits.
/// </content>
public sealed unsafe partial class Conv2dTrainer
{
    // Set for PooledBackward's call: dz is the masked pooled gradient, the pool's input gradient formed per plane.
    private int[]? _pooledArgMax;
    private Pooling.Window _pooledWindow;

    /// <summary>
    /// <see cref="Backward(float[], ref float, float[], ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{double}, ReadOnlySpan{double}, long, float[], float[], float[], ref float, bool, int)"/>
    /// whose dU at the BatchNorm's output is the input gradient of MaxPool2d(<paramref name="pool"/>) for the pooled gradient
    /// <paramref name="pooledDu"/> (<c>n × out channels × pool.OutPlane</c>, already through the activation's derivative:
    /// <see cref="TrainingPasses.PoolMaskBackwardSums"/>'s output), <paramref name="argMax"/> the pool forward's arg-max.
    /// </summary>
    public void PooledBackward(Pooling.Window pool, int[] argMax, float[] input, ref float pooledDu, float[] z, ReadOnlySpan<float> gamma,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, ReadOnlySpan<double> sumDu, ReadOnlySpan<double> sumDuXhat, long count, float[] weight,
        float[] weightGrad, float[]? biasGrad, ref float dx, bool wantInput, int n)
    {
        CheckPool(pool, argMax, n);
        (_pooledArgMax, _pooledWindow) = (argMax, pool);
        try
        {
            Backward(input, ref pooledDu, z, gamma, mean, invStd, sumDu, sumDuXhat, count, weight, weightGrad, biasGrad, ref dx, wantInput, n);
        }
        finally
        {
            _pooledArgMax = null;
        }
    }

    /// <summary>
    /// <see cref="ReduceInputGradient{TAct}(TAct, float[], float[], float[], float[], float[], float[], double[])"/> whose saved tensor's
    /// gradient is the input gradient of MaxPool2d(<paramref name="pool"/>) for <paramref name="pooledSaved"/> (n × C × pool.OutPlane,
    /// C the input channels; <paramref name="argMax"/> the pool forward's arg-max): it is formed per plane and added to dX in place.
    /// </summary>
    public void ReducePooledInputGradient<TAct>(TAct act, float[] z, float[] scale, float[] shift, float[] mean, float[] invStd, Pooling.Window pool, int[] argMax,
        float[] pooledSaved, double[] perSample)
        where TAct : struct, IActivationOperator
    {
        if (pool.InPlane != _h * _w)
        {
            throw new ArgumentException($"The pool's input plane must be the conv's input plane, {_h * _w} values, but is {pool.InPlane}.", nameof(pool));
        }

        ReduceInputGradient(act, z, scale, shift, mean, invStd, null, perSample);
        (_inputSums!.SavedPooled, _inputSums.SavedArgMax, _inputSums.SavedWindow) = (pooledSaved, argMax, pool);
    }

    private void CheckPool(Pooling.Window pool, int[] argMax, int n)
    {
        if (pool.InPlane != _oh * _ow)
        {
            throw new ArgumentException($"The pool's input plane must be the conv's output plane, {_oh * _ow} values, but is {pool.InPlane}.", nameof(pool));
        }

        if (argMax.Length < (long)n * _oc * pool.OutPlane)
        {
            throw new ArgumentException($"argMax needs {(long)n * _oc * pool.OutPlane} values (n × out channels × pooled plane), but has {argMax.Length}.", nameof(argMax));
        }
    }

    // Sample s's plane o of dU from the masked pooled gradient (at _dz) into plane, which it returns.
    private ref float PooledPlane(int s, int o, ref float plane)
    {
        long po = (((long)s * _oc) + o) * _pooledWindow.OutPlane;
        Pooling.MaxBackward(ref Unsafe.AsRef<float>(_dz + po), ref _pooledArgMax![po], ref plane, 1, _pooledWindow);
        return ref plane;
    }
}
