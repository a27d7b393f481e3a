using System;
using System.Linq;
using Xunit;

namespace FusedOps.Tests;

/// <summary>The fixtures' normwise error measures (see Fixtures/README.md).</summary>
internal static class Normwise
{
    /// <summary>max|ours − torch| / max(max|torch|, 1e-3): outputs and running statistics.</summary>
    public static double OutputError(double[] ours, double[] torch) =>
        MaxAbsDifference(ours, torch) / Math.Max(MaxAbs(torch), 1e-3);

    /// <summary>
    /// max|ours − torch| / max(max|torch|, 1e-2 · <paramref name="caseMax"/>, 1e-3): gradients, where
    /// <paramref name="caseMax"/> is the largest |torch| over all gradients of the case.
    /// </summary>
    public static double GradientError(double[] ours, double[] torch, double caseMax) =>
        MaxAbsDifference(ours, torch) / Math.Max(Math.Max(MaxAbs(torch), 1e-2 * caseMax), 1e-3);

    public static double MaxAbs(double[] values) => values.Length == 0 ? 0 : values.Max(Math.Abs);

    public static double MaxAbsDifference(double[] ours, double[] torch)
    {
        Assert.Equal(torch.Length, ours.Length);
        double max = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            double d = Math.Abs(ours[i] - torch[i]);
            max = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(max, d);
        }

        return max;
    }

    public static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>Asserts <paramref name="error"/> ≤ <paramref name="tolerance"/>, naming what was compared.</summary>
    public static void AssertWithin(double error, double tolerance, string what) =>
        Assert.True(error <= tolerance, $"{what}: normwise error {error:E3} > {tolerance:E0}");
}
