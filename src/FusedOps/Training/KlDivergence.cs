using System;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>How <see cref="KlDivergence"/> averages the pointwise terms.</summary>
public enum KlReduction
{
    /// <summary>Sum divided by the batch size: the mathematical KL divergence per sample (PyTorch recommends it).</summary>
    BatchMean,

    /// <summary>Sum divided by the number of elements, PyTorch's default <c>reduction='mean'</c>.</summary>
    Mean,
}

/// <summary>
/// KL divergence as <c>F.kl_div(input, target, log_target=False)</c>: the input is log-probabilities
/// (e.g. a log-softmax), the target probabilities; per element <c>t·(log t − x)</c>, 0 where t = 0.
/// </summary>
public static class KlDivergence
{
    /// <summary>The reduced divergence; writes its gradient (−t/divisor) with respect to the input unless the span is empty.</summary>
    /// <param name="logProbabilities">Row-major <c>[batchSize, classes]</c>.</param>
    /// <param name="targets">Same length; probabilities ≥ 0.</param>
    /// <param name="batchSize">Number of samples, at least 1.</param>
    /// <param name="logProbabilitiesGradient">Same length (overwritten), or empty.</param>
    /// <param name="reduction"><see cref="KlReduction.BatchMean"/> (default here; PyTorch's default is <c>mean</c>) or <see cref="KlReduction.Mean"/>.</param>
    /// <exception cref="ArgumentException">An argument is invalid; nothing is written then.</exception>
    public static float Compute(ReadOnlySpan<float> logProbabilities, ReadOnlySpan<float> targets, int batchSize, Span<float> logProbabilitiesGradient, KlReduction reduction = KlReduction.BatchMean)
    {
        LossChecks.Rows(logProbabilities.Length, batchSize, nameof(logProbabilities));
        LossChecks.SameLength(targets.Length, logProbabilities.Length, nameof(targets), nameof(logProbabilities));
        LossChecks.GradientLength(logProbabilitiesGradient, logProbabilities.Length, nameof(logProbabilitiesGradient), nameof(logProbabilities));
        if (reduction is not (KlReduction.BatchMean or KlReduction.Mean))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"reduction must be BatchMean or Mean, got {reduction}.");
        }

        for (int i = 0; i < targets.Length; i++)
        {
            if (!(targets[i] >= 0f) || !float.IsFinite(targets[i]))
            {
                throw new ArgumentOutOfRangeException(nameof(targets), targets[i], Invariant($"targets[{i}] must be a finite probability >= 0, got {targets[i]}."));
            }
        }

        double inverse = 1.0 / (reduction == KlReduction.BatchMean ? batchSize : logProbabilities.Length), total = 0;
        for (int i = 0; i < logProbabilities.Length; i++)
        {
            double t = targets[i];
            total += t > 0 ? t * (Math.Log(t) - logProbabilities[i]) : 0; // xlogy: 0·log 0 = 0
            if (!logProbabilitiesGradient.IsEmpty)
            {
                logProbabilitiesGradient[i] = (float)(-t * inverse);
            }
        }

        return (float)(total * inverse);
    }
}
