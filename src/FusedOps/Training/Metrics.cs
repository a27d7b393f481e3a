using System;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>Evaluation metrics and model-selection criteria (in double; none of them has a gradient here).</summary>
public static class Metrics
{
    /// <summary>Fraction of rows whose argmax equals the label (see <see cref="SoftmaxCrossEntropy.Accuracy"/>).</summary>
    public static float Accuracy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batchSize) =>
        SoftmaxCrossEntropy.Accuracy(logits, labels, batchSize);

    /// <summary>
    /// Jensen–Shannon divergence in nats, ½·KL(p‖m) + ½·KL(q‖m) with m = (p + q)/2 (as
    /// <c>scipy.spatial.distance.jensenshannon(p, q)²</c>): symmetric, in [0, ln 2]. Both
    /// distributions are normalised to sum 1 first, as SciPy does.
    /// </summary>
    /// <param name="p">Non-negative weights, not all 0.</param>
    /// <param name="q">Same length, non-negative, not all 0.</param>
    /// <exception cref="ArgumentException">A length or value is invalid.</exception>
    public static double JensenShannon(ReadOnlySpan<float> p, ReadOnlySpan<float> q)
    {
        LossChecks.NotEmpty(p.Length, nameof(p));
        LossChecks.SameLength(q.Length, p.Length, nameof(q), nameof(p));
        double sumP = Total(p, nameof(p)), sumQ = Total(q, nameof(q)), divergence = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double a = p[i] / sumP, b = q[i] / sumQ, m = (a + b) / 2;
            divergence += (a > 0 ? a * Math.Log(a / m) : 0) + (b > 0 ? b * Math.Log(b / m) : 0);
        }

        return Math.Max(divergence / 2, 0);
    }

    /// <summary>
    /// First Wasserstein (earth mover's) distance between two 1-D empirical distributions, as
    /// <c>scipy.stats.wasserstein_distance(u, v, uWeights, vWeights)</c>: ∫|F_u − F_v| over the sorted values.
    /// </summary>
    /// <param name="u">Sample values of the first distribution, finite, at least one.</param>
    /// <param name="v">Sample values of the second.</param>
    /// <param name="uWeights">Empty (equal weights) or one weight ≥ 0 per value of <paramref name="u"/>, not all 0.</param>
    /// <param name="vWeights">Likewise for <paramref name="v"/>.</param>
    /// <exception cref="ArgumentException">A length or value is invalid.</exception>
    public static double Wasserstein1D(ReadOnlySpan<float> u, ReadOnlySpan<float> v, ReadOnlySpan<float> uWeights = default, ReadOnlySpan<float> vWeights = default)
    {
        (double[] uValues, double[] uCdf) = Cdf(u, uWeights, nameof(u), nameof(uWeights));
        (double[] vValues, double[] vCdf) = Cdf(v, vWeights, nameof(v), nameof(vWeights));

        // Walk the merged sorted values; between consecutive ones both CDFs are constant.
        double distance = 0, fu = 0, fv = 0;
        int i = 0, j = 0;
        double previous = Math.Min(uValues[0], vValues[0]);
        while (i < uValues.Length || j < vValues.Length)
        {
            double next = j >= vValues.Length || (i < uValues.Length && uValues[i] <= vValues[j]) ? uValues[i] : vValues[j];
            distance += Math.Abs(fu - fv) * (next - previous);
            while (i < uValues.Length && uValues[i] == next)
            {
                fu = uCdf[i++];
            }

            while (j < vValues.Length && vValues[j] == next)
            {
                fv = vCdf[j++];
            }

            previous = next;
        }

        return distance;
    }

    /// <summary>Akaike information criterion, 2k − 2·ln L (lower is better).</summary>
    /// <param name="logLikelihood">ln L of the fitted model, finite.</param>
    /// <param name="parameterCount">k, the number of fitted parameters, ≥ 0 (e.g. <see cref="ParameterList.ElementCount"/>).</param>
    public static double Aic(double logLikelihood, long parameterCount)
    {
        CheckCriterion(logLikelihood, parameterCount);
        return (2.0 * parameterCount) - (2 * logLikelihood);
    }

    /// <summary>Bayesian information criterion, k·ln n − 2·ln L (lower is better).</summary>
    /// <param name="logLikelihood">ln L of the fitted model, finite.</param>
    /// <param name="parameterCount">k, ≥ 0.</param>
    /// <param name="sampleCount">n, the number of observations, ≥ 1.</param>
    public static double Bic(double logLikelihood, long parameterCount, long sampleCount)
    {
        CheckCriterion(logLikelihood, parameterCount);
        if (sampleCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleCount), sampleCount, Invariant($"sampleCount must be at least 1, got {sampleCount}."));
        }

        return (parameterCount * Math.Log(sampleCount)) - (2 * logLikelihood);
    }

    private static void CheckCriterion(double logLikelihood, long parameterCount)
    {
        if (!double.IsFinite(logLikelihood))
        {
            throw new ArgumentOutOfRangeException(nameof(logLikelihood), logLikelihood, Invariant($"logLikelihood must be finite, got {logLikelihood}."));
        }

        if (parameterCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount, Invariant($"parameterCount must be >= 0, got {parameterCount}."));
        }
    }

    private static double Total(ReadOnlySpan<float> weights, string name)
    {
        double sum = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (!(weights[i] >= 0f) || !float.IsFinite(weights[i]))
            {
                throw new ArgumentOutOfRangeException(name, weights[i], Invariant($"{name}[{i}] must be finite and >= 0, got {weights[i]}."));
            }

            sum += weights[i];
        }

        if (sum <= 0)
        {
            throw new ArgumentException($"{name} must have a positive sum, got all zeros.", name);
        }

        return sum;
    }

    /// <summary>Sorted distinct values and the CDF just after each.</summary>
    private static (double[] Values, double[] Cdf) Cdf(ReadOnlySpan<float> values, ReadOnlySpan<float> weights, string name, string weightsName)
    {
        LossChecks.NotEmpty(values.Length, name);
        if (!weights.IsEmpty)
        {
            LossChecks.SameLength(weights.Length, values.Length, weightsName, name);
        }

        double total = weights.IsEmpty ? values.Length : Total(weights, weightsName);
        var order = new (double Value, double Weight)[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw new ArgumentOutOfRangeException(name, values[i], Invariant($"{name}[{i}] must be finite, got {values[i]}."));
            }

            order[i] = (values[i], weights.IsEmpty ? 1.0 : weights[i]);
        }

        Array.Sort(order, (a, b) => a.Value.CompareTo(b.Value));
        double[] sorted = new double[order.Length], cdf = new double[order.Length];
        double running = 0;
        for (int i = 0; i < order.Length; i++)
        {
            running += order[i].Weight;
            sorted[i] = order[i].Value;
            cdf[i] = running / total;
        }

        return (sorted, cdf);
    }
}
