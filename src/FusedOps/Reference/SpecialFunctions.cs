using System;

namespace FusedOps.Reference;

/// <summary>Special functions .NET lacks, to double precision.</summary>
internal static class SpecialFunctions
{
    private static readonly double s_twoOverSqrtPi = 2.0 / Math.Sqrt(Math.PI);

    /// <summary>
    /// The error function, by the series erf(x) = (2/√π)·e^(−x²)·Σₙ 2ⁿx^(2n+1)/(1·3·…·(2n+1))
    /// (Abramowitz and Stegun 7.1.6). Every term is positive, so there is no cancellation and
    /// the sum is good to a few ulps; for |x| ≥ 6, 1 − erf(x) &lt; 3·10⁻¹⁷ rounds to 1.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double ax = Math.Abs(x);
        if (ax >= 6)
        {
            return Math.Sign(x);
        }

        double twoX2 = 2 * ax * ax;
        double term = ax;
        double sum = ax;
        for (int n = 1; term > sum * 1e-17; n++)
        {
            term *= twoX2 / ((2 * n) + 1);
            sum += term;
        }

        return Math.CopySign(s_twoOverSqrtPi * Math.Exp(-ax * ax) * sum, x);
    }

    /// <summary>
    /// log(1 + x), accurate for tiny x where 1 + x rounds: log(u)·x/(u − 1) with u = 1 + x
    /// cancels the rounding of u (Goldberg, "What every computer scientist should know…", thm. 4).
    /// </summary>
    public static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : double.IsPositiveInfinity(u) ? u : Math.Log(u) * x / (u - 1);
    }
}
