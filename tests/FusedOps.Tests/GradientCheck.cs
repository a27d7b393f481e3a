using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Central finite differences in double through <see cref="ReferenceModel.ForwardDouble"/>,
/// compared with <see cref="ReferenceModel.BackwardDouble"/>, for L = sum(output · g).
/// </summary>
internal static class GradientCheck
{
    private const double Step = 1e-6;

    /// <summary>
    /// Gives every parameter and buffer a random value (γ away from 1 and β away from 0, so that a
    /// formula that forgets them fails; running variances positive) and returns the model.
    /// </summary>
    public static ReferenceModel Randomize(ReferenceModel model, int seed)
    {
        var random = new Random(seed);
        foreach (Parameter p in model.Parameters)
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] = (float)((random.NextDouble() * 1.6) - 0.8);
            }
        }

        foreach (Parameter b in model.Buffers)
        {
            bool variance = b.Name.EndsWith("running_var", StringComparison.Ordinal);
            for (int i = 0; i < b.Length; i++)
            {
                b.Data[i] = (float)(variance ? 0.5 + random.NextDouble() : random.NextDouble() - 0.5);
            }
        }

        return model;
    }

    public static double[] RandomVector(int length, double scale, Random random) =>
        Enumerable.Range(0, length).Select(_ => ((2 * random.NextDouble()) - 1) * scale).ToArray();

    /// <summary>
    /// Checks the input gradient and every parameter gradient at a random input in ±
    /// <paramref name="inputScale"/>; fails naming the tensor whose normwise error exceeds
    /// <paramref name="tolerance"/>. Errors are judged as the fixtures judge them: against the
    /// tensor's largest numeric gradient, or 1 % of the largest over all tensors, whichever is larger.
    /// </summary>
    public static void AssertGradientsMatch(ReferenceModel model, int batch, bool training, int seed = 1, double inputScale = 1, double tolerance = 1e-6)
    {
        var random = new Random(seed);
        double[] x = RandomVector(batch * model.InputLength, inputScale, random);
        double[] g = RandomVector(batch * model.OutputLength, 1, random);
        Dictionary<string, double[]> state = model.Parameters.ToDictionary(p => p.Name, p => Normwise.ToDouble(p.Data));

        model.ForwardDouble(x, batch, training);
        (double[] inputGrad, IReadOnlyDictionary<string, double[]> paramGrads) = model.BackwardDouble(g);

        var numeric = new Dictionary<string, double[]> { ["input"] = Numeric(x, values => Loss(model, values, batch, training, g, null)) };
        foreach (Parameter p in model.Parameters)
        {
            numeric[p.Name] = Numeric(state[p.Name], values =>
                Loss(model, x, batch, training, g, new Dictionary<string, double[]>(state) { [p.Name] = values }));
        }

        var analytic = new Dictionary<string, double[]>(paramGrads) { ["input"] = inputGrad };
        Assert.Equal(numeric.Keys.Order(StringComparer.Ordinal), analytic.Keys.Order(StringComparer.Ordinal));
        double caseMax = numeric.Values.Max(Normwise.MaxAbs);
        Assert.True(caseMax > 1e-3, $"every gradient is (nearly) zero: the check would prove nothing ({caseMax:E3})");
        foreach ((string name, double[] expected) in numeric)
        {
            double error = Normwise.MaxAbsDifference(analytic[name], expected) / Math.Max(Normwise.MaxAbs(expected), 1e-2 * caseMax);
            Assert.True(error <= tolerance, $"{name}: analytic vs finite-difference gradient, normwise error {error:E3} > {tolerance:E0}");
        }
    }

    private static double Loss(ReferenceModel model, double[] x, int batch, bool training, double[] g, IReadOnlyDictionary<string, double[]>? state)
    {
        double[] y = model.ForwardDouble(x, batch, training, state);
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            sum += y[i] * g[i];
        }

        return sum;
    }

    private static double[] Numeric(double[] at, Func<double[], double> loss)
    {
        var gradient = new double[at.Length];
        double[] values = (double[])at.Clone();
        for (int i = 0; i < values.Length; i++)
        {
            double original = values[i];
            values[i] = original + Step;
            double plus = loss(values);
            values[i] = original - Step;
            double minus = loss(values);
            values[i] = original;
            gradient[i] = (plus - minus) / (2 * Step);
        }

        return gradient;
    }
}
