using System;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <content>
/// A forward that pads straight from the caller's input span when the batch's padded planes are kept (Conv2dTrainer.Kept.cs): the
/// backward reads the kept copy, never the span, so the model need not copy the input into its own array first (0.037 ms of case
/// B's step, 0.060 ms of C's). The model's input array is registered as the input the backward names; its contents are not read.
/// </content>
public sealed unsafe partial class Conv2dTrainer
{
    // The caller's input while a span Forward runs (pinned for the call); null otherwise.
    private float* _spanInput;

    /// <summary>Whether a Forward on <paramref name="n"/> samples keeps its padded input for the Backward (the batch's padded planes fit 1 MB).</summary>
    public bool KeepsInput(int n) => (long)n * KeptStride * sizeof(float) <= KeptLimitBytes;

    /// <summary>
    /// <see cref="Forward(float[], float[], float[], float[], int, double[], double[])"/> reading <paramref name="input"/>, for a batch
    /// that <see cref="KeepsInput"/>; <paramref name="backwardInput"/> is the array the Backward will be given for this input (only
    /// its identity is used: the Backward reads the kept planes).
    /// </summary>
    public void Forward(ReadOnlySpan<float> input, float[] backwardInput, float[] weight, float[]? bias, float[] output, int n, double[]? sum, double[]? sumSq)
    {
        if (!KeepsInput(n))
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, $"a span input needs the batch's padded planes kept (at most {KeptLimitBytes / sizeof(float) / KeptStride} samples), got {n}.");
        }

        if (input.Length < n * InLength)
        {
            throw new ArgumentException($"input needs {n * InLength} values (n × channels × height × width), but has {input.Length}.", nameof(input));
        }

        fixed (float* p = input)
        {
            _spanInput = p;
            try
            {
                Forward(backwardInput, weight, bias, output, n, sum, sumSq);
            }
            finally
            {
                _spanInput = null;
            }
        }
    }

    // Sample s of the forward's input: the caller's span during a span Forward, else the input array.
    private ref float ForwardInput(int s) =>
        ref _spanInput is not null ? ref Unsafe.AsRef<float>(_spanInput + ((long)s * InLength)) : ref _input[s * InLength];
}
