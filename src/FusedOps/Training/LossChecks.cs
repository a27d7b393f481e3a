using System;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>Argument checks shared by the losses: each names the argument, the expected and the actual value.</summary>
internal static class LossChecks
{
    public static void GradientLength(Span<float> gradient, int expected, string name, string source)
    {
        if (!gradient.IsEmpty && gradient.Length != expected)
        {
            throw new ArgumentException(Invariant($"{name} must be empty or as long as {source} ({expected}), got {gradient.Length}."), name);
        }
    }

    public static void SameLength(int length, int expected, string name, string source)
    {
        if (length != expected)
        {
            throw new ArgumentException(Invariant($"{name} length must equal {source} length ({expected}), got {length}."), name);
        }
    }

    public static void NotEmpty(int length, string name)
    {
        if (length == 0)
        {
            throw new ArgumentException($"{name} must hold at least one value, got an empty span.", name);
        }
    }

    /// <summary>Rows of <paramref name="length"/> / <paramref name="batchSize"/> values; returns the row length.</summary>
    public static int Rows(int length, int batchSize, string name)
    {
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, Invariant($"batchSize must be at least 1, got {batchSize}."));
        }

        if (length < batchSize || length % batchSize != 0)
        {
            throw new ArgumentException(Invariant($"{name} length must be batchSize × classes, a positive multiple of batchSize ({batchSize}), got {length}."), name);
        }

        return length / batchSize;
    }

    /// <summary>Checks class weights (empty, or one finite value ≥ 0 per class) and returns Σ w[label] (the batch size when empty).</summary>
    public static double ClassWeights(ReadOnlySpan<float> weights, ReadOnlySpan<int> labels, int classes)
    {
        if (weights.IsEmpty)
        {
            return labels.Length;
        }

        if (weights.Length != classes)
        {
            throw new ArgumentException(Invariant($"classWeights must be empty or hold one weight per class ({classes}), got {weights.Length}."), "classWeights");
        }

        for (int c = 0; c < weights.Length; c++)
        {
            if (!(weights[c] >= 0f) || !float.IsFinite(weights[c]))
            {
                throw new ArgumentOutOfRangeException("classWeights", weights[c], Invariant($"classWeights[{c}] must be finite and >= 0, got {weights[c]}."));
            }
        }

        double total = 0;
        foreach (int label in labels)
        {
            total += weights[label];
        }

        if (total <= 0)
        {
            throw new ArgumentException("classWeights: the labels' weights sum to 0, so the weighted mean is undefined (PyTorch returns NaN); give the labelled classes a positive weight.", "classWeights");
        }

        return total;
    }

    /// <summary>Labels must be class indices.</summary>
    public static void Labels(ReadOnlySpan<int> labels, int batchSize, int classes)
    {
        SameLength(labels.Length, batchSize, "labels", "batchSize");
        for (int n = 0; n < labels.Length; n++)
        {
            if ((uint)labels[n] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException("labels", labels[n], Invariant($"labels[{n}] must be a class index in [0, {classes}), got {labels[n]}."));
            }
        }
    }
}
