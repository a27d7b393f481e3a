using System;

namespace FusedOps.Reference;

/// <summary>
/// An elementwise activation: its value, and its backward as PyTorch computes it (the gradient
/// from the upstream gradient <c>g</c> and the input <c>x</c>, including which side a kink belongs to).
/// </summary>
internal sealed record Activation(Func<double, double> Forward, Func<double, double, double> Backward);

/// <summary>The activation table: one entry per attribute, forward and backward side by side.</summary>
internal static class ActivationFunctions
{
    private const double SeluAlpha = 1.6732632423543772;
    private const double SeluScale = 1.0507009873554805;

    // √(2/π) and the cubic coefficient of GELU's tanh form, as PyTorch writes them.
    private static readonly double s_geluTanhBeta = Math.Sqrt(2.0 / Math.PI);
    private const double GeluTanhKappa = 0.044715;
    private static readonly double s_inverseSqrt2Pi = 1.0 / Math.Sqrt(2.0 * Math.PI);

    /// <summary>The activation for <paramref name="attribute"/>, or null if it is not an elementwise activation without state.</summary>
    public static Activation? Find(LayerAttribute attribute) => attribute switch
    {
        IdentityAttribute => new(x => x, (x, g) => g),

        // PyTorch's threshold_backward: zero where x ≤ 0, so a NaN input lets the gradient through.
        ReLUAttribute => new(x => Math.Max(x, 0.0), (x, g) => x <= 0 ? 0 : g),
        LeakyReLUAttribute a => LeakyReLU(RefMath.Hyper(a.NegativeSlope)),
        ELUAttribute a => Elu(RefMath.Hyper(a.Alpha), 1.0),
        SELUAttribute => Elu(SeluAlpha, SeluScale),
        GELUAttribute { Approximate: false } => new(
            x => x * NormalCdf(x),
            (x, g) => g * (NormalCdf(x) + (x * Math.Exp(-0.5 * x * x) * s_inverseSqrt2Pi))),
        GELUAttribute { Approximate: true } => new(GeluTanh, GeluTanhBackward),
        SigmoidAttribute => new(Sigmoid, (x, g) => g * Sigmoid(x) * (1 - Sigmoid(x))),
        TanhAttribute => new(Math.Tanh, (x, g) => g * (1 - (Math.Tanh(x) * Math.Tanh(x)))),
        ArcTanAttribute => new(Math.Atan, (x, g) => g / (1 + (x * x))),
        SoftsignAttribute => new(x => x / (1 + Math.Abs(x)), (x, g) => g / ((1 + Math.Abs(x)) * (1 + Math.Abs(x)))),
        SiLUAttribute => Swish(1.0),
        SwishAttribute a => Swish(RefMath.Hyper(a.Beta)),
        MishAttribute => new(
            x => x * Math.Tanh(SpecialFunctions.Log1P(Math.Exp(x))),
            (x, g) =>
            {
                double t = Math.Tanh(SpecialFunctions.Log1P(Math.Exp(x)));
                return g * (t + (x * Sigmoid(x) * (1 - (t * t))));
            }),
        SoftplusAttribute a => Softplus(RefMath.Hyper(a.Beta), RefMath.Hyper(a.Threshold)),
        HardSigmoidAttribute => new(
            x => Math.Min(Math.Max(x + 3, 0), 6) / 6,
            (x, g) => x > -3 && x < 3 ? g / 6 : 0),
        HardSwishAttribute => new(
            x => x * Math.Min(Math.Max(x + 3, 0), 6) / 6,
            (x, g) => x < -3 ? 0 : x <= 3 ? g * ((x / 3) + 0.5) : g),
        HardTanhAttribute a => HardTanh(RefMath.Hyper(a.Min), RefMath.Hyper(a.Max)),
        IsruAttribute a => Isru(RefMath.Hyper(a.Alpha), linearForPositive: false),
        IsrluAttribute a => Isru(RefMath.Hyper(a.Alpha), linearForPositive: true),
        SquareNonlinearityAttribute => new(
            x => x > 2 ? 1 : x >= 0 ? x - (x * x / 4) : x >= -2 ? x + (x * x / 4) : -1,
            (x, g) => x > 2 ? 0 : x >= 0 ? g * (1 - (x / 2)) : x >= -2 ? g * (1 + (x / 2)) : 0),
        BinaryStepAttribute => new(x => x >= 0 ? 1 : 0, (x, g) => 0),
        _ => null,
    };

    /// <summary>Φ(x), the standard normal CDF, through erf as PyTorch's exact GELU.</summary>
    public static double NormalCdf(double x) => 0.5 * (1 + SpecialFunctions.Erf(x / Math.Sqrt(2.0)));

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static Activation LeakyReLU(double slope) => new(x => x > 0 ? x : x * slope, (x, g) => x > 0 ? g : g * slope);

    private static Activation Elu(double alpha, double scale) => new(
        x => x > 0 ? scale * x : scale * alpha * (Math.Exp(x) - 1),
        (x, g) => x > 0 ? g * scale : g * scale * alpha * Math.Exp(x));

    private static Activation Swish(double beta) => new(
        x => x * Sigmoid(beta * x),
        (x, g) =>
        {
            double s = Sigmoid(beta * x);
            return g * s * (1 + (beta * x * (1 - s)));
        });

    private static Activation Softplus(double beta, double threshold) => new(
        x => x * beta > threshold ? x : SpecialFunctions.Log1P(Math.Exp(x * beta)) / beta,
        (x, g) =>
        {
            double z = Math.Exp(x * beta);
            return x * beta > threshold ? g : g * z / (z + 1);
        });

    private static Activation HardTanh(double min, double max) => new(
        x => Math.Min(Math.Max(x, min), max),
        (x, g) => x <= min || x >= max ? 0 : g);

    private static Activation Isru(double alpha, bool linearForPositive) => new(
        x => linearForPositive && x >= 0 ? x : x / Math.Sqrt(1 + (alpha * x * x)),
        (x, g) =>
        {
            if (linearForPositive && x >= 0)
            {
                return g;
            }

            double r = 1 / Math.Sqrt(1 + (alpha * x * x));
            return g * r * r * r;
        });

    private static double GeluTanh(double x) =>
        0.5 * x * (1 + Math.Tanh(s_geluTanhBeta * (x + (GeluTanhKappa * x * x * x))));

    private static double GeluTanhBackward(double x, double g)
    {
        double t = Math.Tanh(s_geluTanhBeta * (x + (GeluTanhKappa * x * x * x)));
        double left = 0.5 * (1 + t);
        double right = 0.5 * x * (1 - (t * t)) * s_geluTanhBeta * (1 + (3 * GeluTanhKappa * x * x));
        return g * (left + right);
    }
}
