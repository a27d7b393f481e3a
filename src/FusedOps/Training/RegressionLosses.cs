using System;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>The pointwise part of a mean loss over element differences d = prediction − target.</summary>
internal interface IPointwiseLoss
{
    /// <summary>The loss of one element and its derivative with respect to the prediction.</summary>
    (double Loss, double Derivative) Evaluate(double difference);
}

/// <summary>Mean squared error, as <c>nn.MSELoss()</c>: mean of (x − y)²; gradient 2(x − y)/N.</summary>
public static class MseLoss
{
    /// <summary>Mean loss over all elements; writes its gradient with respect to the predictions unless the span is empty.</summary>
    /// <param name="predictions">Any shape, flattened.</param>
    /// <param name="targets">Same length as <paramref name="predictions"/>.</param>
    /// <param name="predictionsGradient">Same length (overwritten), or empty.</param>
    /// <exception cref="ArgumentException">A length is wrong; nothing is written then.</exception>
    public static float Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> predictionsGradient) =>
        PointwiseLoss.Mean(default(Squared), predictions, targets, predictionsGradient);

    private readonly struct Squared : IPointwiseLoss
    {
        public (double Loss, double Derivative) Evaluate(double d) => (d * d, 2 * d);
    }
}

/// <summary>Mean absolute error, as <c>nn.L1Loss()</c>: mean of |x − y|; gradient sign(x − y)/N with sign(0) = 0.</summary>
public static class L1Loss
{
    /// <inheritdoc cref="MseLoss.Compute"/>
    public static float Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> predictionsGradient) =>
        PointwiseLoss.Mean(default(Absolute), predictions, targets, predictionsGradient);

    private readonly struct Absolute : IPointwiseLoss
    {
        public (double Loss, double Derivative) Evaluate(double d) => (Math.Abs(d), d > 0 ? 1 : d < 0 ? -1 : d);
    }
}

/// <summary>
/// Huber loss, as <c>nn.HuberLoss(delta)</c>: per element 0.5·d² when |d| &lt; delta, else
/// delta·(|d| − 0.5·delta); the mean over all elements.
/// </summary>
public static class HuberLoss
{
    /// <summary>Mean loss over all elements; writes its gradient with respect to the predictions unless the span is empty.</summary>
    /// <param name="predictions">Any shape, flattened.</param>
    /// <param name="targets">Same length as <paramref name="predictions"/>.</param>
    /// <param name="predictionsGradient">Same length (overwritten), or empty.</param>
    /// <param name="delta">Where the loss turns from quadratic to linear, finite and &gt; 0.</param>
    /// <exception cref="ArgumentException">A length or <paramref name="delta"/> is wrong; nothing is written then.</exception>
    public static float Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> predictionsGradient, float delta = 1f)
    {
        if (!(delta > 0f) || !float.IsFinite(delta))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, Invariant($"delta must be finite and > 0, got {delta}."));
        }

        return PointwiseLoss.Mean(new Huber(delta), predictions, targets, predictionsGradient);
    }

    private readonly struct Huber(double delta) : IPointwiseLoss
    {
        public (double Loss, double Derivative) Evaluate(double d)
        {
            double a = Math.Abs(d);
            return a < delta ? (0.5 * d * d, d) : (delta * (a - (0.5 * delta)), d > 0 ? delta : d < 0 ? -delta : d);
        }
    }
}

/// <summary>The driver of the pointwise losses: validation, then one pass summing in double.</summary>
internal static class PointwiseLoss
{
    public static float Mean<TLoss>(TLoss loss, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient)
        where TLoss : struct, IPointwiseLoss
    {
        LossChecks.NotEmpty(predictions.Length, nameof(predictions));
        LossChecks.SameLength(targets.Length, predictions.Length, nameof(targets), nameof(predictions));
        LossChecks.GradientLength(gradient, predictions.Length, "predictionsGradient", nameof(predictions));
        double inverse = 1.0 / predictions.Length, total = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            (double value, double derivative) = loss.Evaluate((double)predictions[i] - targets[i]);
            total += value;
            if (!gradient.IsEmpty)
            {
                gradient[i] = (float)(derivative * inverse);
            }
        }

        return (float)(total * inverse);
    }
}
