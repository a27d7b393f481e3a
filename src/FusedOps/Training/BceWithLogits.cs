using System;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>
/// Binary cross-entropy on logits, as <c>nn.BCEWithLogitsLoss(pos_weight)</c> with mean reduction:
/// per element <c>(1 − y)·x + (1 + (pw − 1)·y)·(log(1 + e^−|x|) + max(−x, 0))</c>, computed without
/// overflow for any finite logit; gradient <c>((1 − y) − (1 + (pw − 1)·y)·σ(−x)) / N</c>.
/// </summary>
public static class BceWithLogits
{
    /// <summary>Mean loss over all elements; writes its gradient unless the span is empty.</summary>
    /// <param name="logits">Row-major <c>[batchSize, outputs]</c>.</param>
    /// <param name="targets">Same length; probabilities in [0, 1].</param>
    /// <param name="batchSize">Number of samples, at least 1.</param>
    /// <param name="logitsGradient">Same length (overwritten), or empty.</param>
    /// <param name="positiveWeights">Empty (all 1), or one finite weight ≥ 0 per output (PyTorch's <c>pos_weight</c>, broadcast over rows).</param>
    /// <exception cref="ArgumentException">An argument is invalid; nothing is written then.</exception>
    public static float Compute(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int batchSize, Span<float> logitsGradient, ReadOnlySpan<float> positiveWeights = default)
    {
        int outputs = LossChecks.Rows(logits.Length, batchSize, nameof(logits));
        LossChecks.SameLength(targets.Length, logits.Length, nameof(targets), nameof(logits));
        LossChecks.GradientLength(logitsGradient, logits.Length, nameof(logitsGradient), nameof(logits));
        if (!positiveWeights.IsEmpty && positiveWeights.Length != outputs)
        {
            throw new ArgumentException(Invariant($"positiveWeights must be empty or hold one weight per output ({outputs}), got {positiveWeights.Length}."), nameof(positiveWeights));
        }

        for (int i = 0; i < positiveWeights.Length; i++)
        {
            if (!(positiveWeights[i] >= 0f) || !float.IsFinite(positiveWeights[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(positiveWeights), positiveWeights[i], Invariant($"positiveWeights[{i}] must be finite and >= 0, got {positiveWeights[i]}."));
            }
        }

        for (int i = 0; i < targets.Length; i++)
        {
            if (!(targets[i] >= 0f && targets[i] <= 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(targets), targets[i], Invariant($"targets[{i}] must be a probability in [0, 1], got {targets[i]}."));
            }
        }

        double inverse = 1.0 / logits.Length, total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits[i], y = targets[i];
            double weight = positiveWeights.IsEmpty ? 1.0 : 1.0 + ((positiveWeights[i % outputs] - 1.0) * y);

            // log(1 + e^−x) = log(1 + e^−|x|) + max(−x, 0): the exponent is never positive.
            double softplusNegative = Math.Log(1 + Math.Exp(-Math.Abs(x))) + Math.Max(-x, 0);
            total += ((1 - y) * x) + (weight * softplusNegative);
            if (!logitsGradient.IsEmpty)
            {
                double sigmoidNegative = x >= 0 ? Math.Exp(-x) / (1 + Math.Exp(-x)) : 1 / (1 + Math.Exp(x));
                logitsGradient[i] = (float)(((1 - y) - (weight * sigmoidNegative)) * inverse);
            }
        }

        return (float)(total * inverse);
    }
}
