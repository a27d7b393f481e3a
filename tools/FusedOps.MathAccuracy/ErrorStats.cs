using System;

namespace FusedOps.MathAccuracy;

/// <summary>
/// The largest error seen of float results against double references: in ulps of the reference
/// (the spacing of floats at the reference, 2⁻¹⁴⁹ among the subnormals; only where |reference| is at
/// least ulpFloor, if given), relative (over references in
/// the normal range), and mixed (in ulps of max(|reference|, 1): an absolute error below 1).
/// </summary>
internal sealed class ErrorStats(double ulpFloor = 0)
{
    public double MaxUlps { get; private set; }

    public float MaxUlpsAt { get; private set; } = float.NaN;

    public double MaxRelative { get; private set; }

    public double MaxMixed { get; private set; }

    public float MaxMixedAt { get; private set; } = float.NaN;

    public long Count { get; private set; }

    /// <summary>A special value handled wrongly (NaN where the reference is not, a wrong infinity), with its argument.</summary>
    public string? Mismatch { get; private set; }

    public void Add(float x, float y, double reference)
    {
        Count++;
        double ulps = Ulps(y, reference);
        if (double.IsPositiveInfinity(ulps))
        {
            Mismatch ??= $"x = {x:R}: got {y:R}, reference {reference:R}";
            return;
        }

        if (ulps > MaxUlps && !(Math.Abs(reference) < ulpFloor))
        {
            (MaxUlps, MaxUlpsAt) = (ulps, x);
        }

        if (Math.Abs(reference) is >= 1.1754943508222875e-38 and <= float.MaxValue)
        {
            MaxRelative = Math.Max(MaxRelative, Math.Abs(y - reference) / Math.Abs(reference));
        }

        double mixed = ulps == 0 ? 0 : double.IsFinite(reference) ? Math.Abs(y - reference) / Ulp(Math.Max(Math.Abs(reference), 1)) : ulps;
        if (mixed > MaxMixed)
        {
            (MaxMixed, MaxMixedAt) = (mixed, x);
        }
    }

    /// <summary>|y − r| in ulps of r; 0 for matching NaNs and infinities, +∞ for a wrong special value.</summary>
    public static double Ulps(float y, double r)
    {
        if (double.IsNaN(r) || float.IsNaN(y))
        {
            return double.IsNaN(r) && float.IsNaN(y) ? 0 : double.PositiveInfinity;
        }

        if (Math.Abs(r) > float.MaxValue || float.IsInfinity(y))
        {
            // Beyond the float range the right answer is the rounded one, possibly ±∞.
            return y == (float)r ? 0 : float.IsInfinity(y) || float.IsInfinity((float)r) ? double.PositiveInfinity : Math.Abs(y - r) / Ulp(r);
        }

        return Math.Abs(y - r) / Ulp(r);
    }

    /// <summary>The spacing of floats at |r|.</summary>
    public static double Ulp(double r) =>
        r == 0 ? Math.ScaleB(1, -149) : Math.ScaleB(1, Math.Max(Math.ILogB(Math.Abs(r)), -126) - 23);
}
