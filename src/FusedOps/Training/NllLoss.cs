using System;

namespace FusedOps.Training;

/// <summary>
/// Negative log-likelihood on log-probabilities, as <c>nn.NLLLoss(weight)</c> with mean reduction:
/// <c>−Σₙ w[yₙ]·x[n, yₙ] / Σₙ w[yₙ]</c> (plain mean without weights).
/// </summary>
public static class NllLoss
{
    /// <summary>Mean loss; writes its gradient (−w[yₙ]/Σw at the label, 0 elsewhere) unless the span is empty.</summary>
    /// <param name="logProbabilities">Row-major <c>[batchSize, classes]</c>, e.g. a log-softmax.</param>
    /// <param name="labels">One class index in [0, classes) per sample.</param>
    /// <param name="batchSize">Number of samples, at least 1.</param>
    /// <param name="logProbabilitiesGradient">Same length (overwritten), or empty.</param>
    /// <param name="classWeights">Empty (all 1), or one finite weight ≥ 0 per class.</param>
    /// <exception cref="ArgumentException">An argument is invalid; nothing is written then.</exception>
    public static float Compute(ReadOnlySpan<float> logProbabilities, ReadOnlySpan<int> labels, int batchSize, Span<float> logProbabilitiesGradient, ReadOnlySpan<float> classWeights = default)
    {
        int classes = LossChecks.Rows(logProbabilities.Length, batchSize, nameof(logProbabilities));
        LossChecks.Labels(labels, batchSize, classes);
        LossChecks.GradientLength(logProbabilitiesGradient, logProbabilities.Length, nameof(logProbabilitiesGradient), nameof(logProbabilities));
        double totalWeight = LossChecks.ClassWeights(classWeights, labels, classes);
        double total = 0;
        logProbabilitiesGradient.Clear();
        for (int n = 0; n < batchSize; n++)
        {
            int label = labels[n];
            double w = classWeights.IsEmpty ? 1.0 : classWeights[label];
            total -= w * logProbabilities[(n * classes) + label];
            if (!logProbabilitiesGradient.IsEmpty)
            {
                logProbabilitiesGradient[(n * classes) + label] = (float)(-w / totalWeight);
            }
        }

        return (float)(total / totalWeight);
    }
}
