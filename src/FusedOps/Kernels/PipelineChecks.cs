using System;
using System.ComponentModel;

namespace FusedOps.Kernels;

/// <summary>
/// Argument checks of the generated entry points, so that every pipeline throws the same messages:
/// the argument's name, the expected and the actual value, before anything is written.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PipelineChecks
{
    /// <summary>Checks a batch size and the input and output span lengths of Forward or Infer.</summary>
    public static void Batch(int batchSize, int inputLength, int outputLength, int sampleInput, int sampleOutput)
    {
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batchSize must be at least 1, got {batchSize}.");
        }

        long expectedInput = (long)batchSize * sampleInput;
        if (inputLength != expectedInput)
        {
            throw new ArgumentException(
                $"input has length {inputLength}, expected batchSize × InputLength = {batchSize} × {sampleInput} = {expectedInput}.", "input");
        }

        long expectedOutput = (long)batchSize * sampleOutput;
        if (outputLength != expectedOutput)
        {
            throw new ArgumentException(
                $"output has length {outputLength}, expected batchSize × OutputLength = {batchSize} × {sampleOutput} = {expectedOutput}.", "output");
        }
    }

    /// <summary>
    /// Checks Backward's arguments against the last Forward's batch (0: none, −1: its Backward already ran).
    /// </summary>
    public static void Backward(int batch, int outputGradientLength, int inputGradientLength, int sampleInput, int sampleOutput)
    {
        if (batch == 0)
        {
            throw new InvalidOperationException("Backward needs a successful Forward before it; none was run since construction.");
        }

        if (batch < 0)
        {
            throw new InvalidOperationException(
                "Backward was already called for the last Forward; run Forward again before another Backward "
                + "(its saved activations are used once, as PyTorch frees the graph after backward).");
        }

        if (outputGradientLength != (long)batch * sampleOutput)
        {
            throw new ArgumentException(
                $"outputGradient has length {outputGradientLength}, expected batch of the last Forward × OutputLength = "
                + $"{batch} × {sampleOutput} = {(long)batch * sampleOutput}.",
                "outputGradient");
        }

        if (inputGradientLength != 0 && inputGradientLength != (long)batch * sampleInput)
        {
            throw new ArgumentException(
                $"inputGradient has length {inputGradientLength}, expected 0 (skip) or {batch} × {sampleInput} = {(long)batch * sampleInput}.",
                "inputGradient");
        }
    }

    /// <summary>Training-mode BatchNorm needs more than one value per channel (PyTorch raises the same).</summary>
    public static void BatchNormValues(int layer, int batchSize, int valuesPerChannel)
    {
        long count = (long)batchSize * valuesPerChannel;
        if (count < 2)
        {
            throw new InvalidOperationException(
                $"BatchNorm layer {layer} needs more than one value per channel in training: batchSize {batchSize} × {valuesPerChannel} "
                + $"values per channel = {count}. Use a batch of at least 2, or Infer.");
        }
    }
}
