using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <content>The activation of a group with no BatchNorm, applied per sample in the conv's epilogue and prologue.</content>
public sealed partial class Conv2dTrainer
{
    // The activation of the call in progress, or null; one cached per activation type (replaced only if the type changes).
    private Epilogue? _epilogue, _epilogueCache;
    private float[] _activated = [], _preActivation = [];

    /// <summary>
    /// <see cref="Forward(float[], float[], float[], float[], int, double[], double[])"/> followed by the activation in the
    /// epilogue: <paramref name="output"/> = conv(input) + bias (kept for the derivative) and
    /// <paramref name="activated"/> = act(output), per sample while it is in cache (no pass over the batch).
    /// </summary>
    public void Forward<TAct>(TAct act, float[] input, float[] weight, float[]? bias, float[] output, float[] activated, int n)
        where TAct : struct, IActivationOperator
    {
        _epilogue = Use(act);
        _activated = activated;
        try
        {
            Forward(input, weight, bias, output, n, null, null);
        }
        finally
        {
            (_epilogue, _activated) = (null, []);
        }
    }

    /// <summary>
    /// <see cref="Backward(float[], ref float, float[], float[], float[], ref float, bool, int)"/> from the gradient
    /// <paramref name="dy"/> at the activation's output: dz = act′(dy) at the pre-activation <paramref name="z"/>, per sample
    /// as it goes onto the grid.
    /// </summary>
    public void Backward<TAct>(TAct act, float[] input, ref float dy, float[] z, float[] weight, float[] weightGrad, float[]? biasGrad, ref float dx, bool wantInput, int n)
        where TAct : struct, IActivationOperator
    {
        _epilogue = Use(act);
        _preActivation = z;
        try
        {
            Backward(input, ref dy, weight, weightGrad, biasGrad, ref dx, wantInput, n);
        }
        finally
        {
            (_epilogue, _preActivation) = (null, []);
        }
    }

    private Epilogue Use<TAct>(TAct act)
        where TAct : struct, IActivationOperator
    {
        if (_epilogueCache is not Epilogue<TAct> e)
        {
            _epilogueCache = e = new Epilogue<TAct>();
        }

        e.Act = act;
        return e;
    }

    // One virtual call per sample into the generic pass, so the JIT specialises it per activation.
    private abstract class Epilogue
    {
        public abstract void Forward(ref float z, ref float y, int count);

        public abstract void Backward(ref float dy, ref float z, ref float dz, int count);
    }

    private sealed class Epilogue<TAct> : Epilogue
        where TAct : struct, IActivationOperator
    {
        public TAct Act;

        public override void Forward(ref float z, ref float y, int count) => ActivationPass.Forward(Act, ref z, ref y, count);

        public override void Backward(ref float dy, ref float z, ref float dz, int count) => ActivationPass.Backward(Act, ref dy, ref z, ref dz, count);
    }
}
