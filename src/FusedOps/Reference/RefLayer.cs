using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedOps.Reference;

/// <summary>
/// What one layer sees during one pass: the batch size, the mode, double copies of its
/// parameters and buffers taken when the pass started, and what its forward saved for backward.
/// </summary>
internal sealed class LayerContext
{
    public LayerContext(int batch, bool training, double[][] parameters, double[][] buffers, InitRandom? random)
    {
        Batch = batch;
        Training = training;
        Parameters = parameters;
        Buffers = buffers;
        Random = random;
    }

    /// <summary>Samples in the batch.</summary>
    public int Batch { get; }

    /// <summary>True in training mode (batch statistics, dropout active).</summary>
    public bool Training { get; }

    /// <summary>The layer's parameters as double, in the order of <see cref="RefLayer.Parameters"/>.</summary>
    public double[][] Parameters { get; }

    /// <summary>The layer's buffers as double, in the order of <see cref="RefLayer.Buffers"/>.</summary>
    public double[][] Buffers { get; }

    /// <summary>Training randomness for this pass (null in eval mode or if no layer draws).</summary>
    public InitRandom? Random { get; }

    /// <summary>The tensors named by <c>Save</c> in this pass, shared by all its layers.</summary>
    public BranchStore Branches { get; init; } = new();

    /// <summary>The layer's input, saved for backward. Layers never modify it.</summary>
    public double[] Input { get; set; } = [];

    /// <summary>Whatever else the layer's forward saved for its backward.</summary>
    public object? Saved { get; set; }

    /// <summary>New buffer values computed by a training forward, committed only if the whole pass succeeds.</summary>
    public double[][]? UpdatedBuffers { get; set; }
}

/// <summary>
/// One layer of the reference interpreter: naive scalar loops in double over the whole batch,
/// written to be obviously correct rather than fast. Forward never modifies its input;
/// backward returns the input gradient and adds parameter gradients into the arrays it is given.
/// </summary>
internal abstract class RefLayer
{
    protected RefLayer(int index, string description, int[] inputShape, int[] outputShape)
    {
        Index = index;
        Description = description;
        InputShape = inputShape;
        OutputShape = outputShape;
        InputLength = Product(inputShape);
        OutputLength = Product(outputShape);
    }

    /// <summary>Position in the pipeline; the state-dict prefix.</summary>
    public int Index { get; }

    /// <summary>The attribute as declared, e.g. <c>Conv2d(4, 3, Stride = 2)</c>.</summary>
    public string Description { get; }

    public int[] InputShape { get; }

    public int[] OutputShape { get; }

    public int InputLength { get; }

    public int OutputLength { get; }

    /// <summary>Learnable tensors, weight before bias.</summary>
    public IReadOnlyList<Parameter> Parameters { get; protected init; } = [];

    /// <summary>Running statistics, running_mean before running_var.</summary>
    public IReadOnlyList<Parameter> Buffers { get; protected init; } = [];

    /// <summary>Whether a training forward draws from the training random stream.</summary>
    public virtual bool UsesTrainingRandomness => false;

    /// <summary>Writes PyTorch's default initial state; draws only where the contract says so.</summary>
    public virtual void Initialize(InitRandom random)
    {
    }

    /// <summary>Why this batch size cannot run in this mode, or null if it can.</summary>
    public virtual string? CheckBatch(int batch, bool training) => null;

    /// <summary>Returns the output for the whole batch.</summary>
    public abstract double[] Forward(LayerContext context, double[] input);

    /// <summary>Returns the input gradient; adds parameter gradients into <paramref name="parameterGradients"/>.</summary>
    public abstract double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients);

    /// <inheritdoc/>
    public override string ToString() => $"{Index}: {Description} {Parameter.FormatShape(InputShape)} -> {Parameter.FormatShape(OutputShape)}";

    protected Parameter NewParameter(string suffix, params int[] shape) => new($"{Index.ToString(CultureInfo.InvariantCulture)}.{suffix}", shape, hasGrad: true);

    protected Parameter NewBuffer(string suffix, params int[] shape) => new($"{Index.ToString(CultureInfo.InvariantCulture)}.{suffix}", shape, hasGrad: false);

    internal static int Product(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            n *= d;
        }

        return checked((int)n);
    }
}

/// <summary>Shared numeric helpers.</summary>
internal static class RefMath
{
    /// <summary>
    /// A float hyperparameter as the double PyTorch would be given: attributes hold
    /// <c>1e-5f</c>, but the Python literal meant is <c>1e-5</c>, so take the shortest decimal
    /// that round-trips the float, not the float's exact binary value.
    /// </summary>
    public static double Hyper(float value) =>
        float.IsFinite(value)
            ? double.Parse(value.ToString("R", CultureInfo.InvariantCulture), NumberStyles.Float, CultureInfo.InvariantCulture)
            : value;

    /// <summary>The input gradient of a max: each output's gradient added to the input that was its maximum.</summary>
    public static double[] ToArgMax(int[] argMax, double[] outputGradient, int inputLength)
    {
        var inputGradient = new double[inputLength];
        for (int o = 0; o < outputGradient.Length; o++)
        {
            inputGradient[argMax[o]] += outputGradient[o];
        }

        return inputGradient;
    }

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }
}
