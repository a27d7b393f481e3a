using System.Linq;
using FusedOps.MathAccuracy;
using Xunit;

namespace FusedOps.Tests.Numerics;

/// <summary>
/// Maximum errors against double precision, on subsets of the sweeps docs/numerics.md reports
/// (strides 29·141 and 2039·32 are subsets of strides 29 and 2039), with bounds a little above the
/// maxima measured there with FMA and, on these very subsets, without it (<c>DOTNET_EnableAVX2=0</c>):
/// a wrong coefficient or a lost reduction step costs far more than the margin.
/// </summary>
public class AccuracyTests
{
    // Function: max ulps, max relative error (references in the normal range), measured at stride 29:
    // Exp 1.01, Expm1 1.43, Log1P 0.81, Tanh 1.30, Erf 1.00, Sigmoid 2.40, Atan 2.24 ulps; without FMA
    // (stride 4089) Expm1 1.53 and Erf 1.04.
    public static TheoryData<string, double, double> FunctionBounds() => new()
    {
        { "Exp", 1.1, 9e-8 },
        { "Expm1", 1.6, 1.3e-7 },
        { "Log1P", 0.9, 9e-8 },
        { "Tanh", 1.4, 1.5e-7 },
        { "Erf", 1.1, 1e-7 },
        { "Sigmoid", 2.5, 1.9e-7 },
        { "Atan", 2.3, 1.8e-7 },
    };

    // Activation: forward ulps where |f| ≥ 2⁻²⁰, forward mixed (ulps of max(|f|, 1)), backward ulps where
    // |f′| ≥ 2⁻²⁰ (0 = not asserted: f′ crosses zero, where any float formula cancels), backward mixed.
    // Measured values are in docs/numerics.md.
    public static TheoryData<string, double, double, double, double> OperatorBounds() => new()
    {
        { "ELU", 0.9, 0.45, 1.0, 0.45 },
        { "ELU(Alpha = 0.5f)", 0.9, 0.25, 1.0, 0.25 },
        { "SELU", 1.7, 1.25, 1.85, 1.4 },
        { "GELU", 1200, 1.2, 0, 1.15 },              // forward ulps: the lower tail, see docs/numerics.md
        { "GELU(Approximate = true)", 22, 2.2, 0, 1.55 },
        { "Sigmoid", 2.3, 0.85, 3.9, 0.4 },
        { "Tanh", 1.35, 0.7, 4.2, 1.4 },
        { "ArcTan", 2.4, 0.95, 1.9, 0.85 },
        { "Softsign", 1.6, 0.85, 3.6, 1.8 },
        { "SiLU", 3.1, 1.95, 0, 1.5 },
        { "Swish(Beta = 2f)", 3.2, 1.95, 0, 1.5 },
        { "Mish", 4.1, 1.75, 0, 1.5 },
        { "Softplus", 1.6, 0.95, 2.3, 0.85 },
        { "Softplus(Beta = 2f, Threshold = 3f)", 1.6, 0.65, 2.3, 0.75 },
        { "HardSigmoid", 1.1, 0.55, 0.4, 0.05 },
        { "HardSwish", 2.0, 1.85, 0, 0.75 },
        { "Isru", 2.05, 1.05, 3.4, 1.75 },
        { "Isru(Alpha = 0.5f)", 2.2, 1.45, 3.4, 1.75 },
        { "Isrlu", 2.05, 1.05, 3.4, 1.75 },
        { "SquareNonlinearity", 0.8, 0.4, 0.5, 0.25 },   // 0.5, 0.25 with FMA (one rounding)
        { "BinaryStep", 0, 0, 0, 0 },
        { "PReLU(Init = 0.3f)", 0.5, 0.5, 0.5, 0.5 },
    };

    [Theory]
    [MemberData(nameof(FunctionBounds))]
    public void Function_DenseSweep_StaysWithinTheMeasuredError(string name, double maxUlps, double maxRelative)
    {
        ErrorStats[] stats = NumericsHelpers.Function(name).Measure(29 * 141);

        foreach (int w in NumericsHelpers.Widths)
        {
            ErrorStats s = stats[w];
            Assert.True(s.Count > 1_000_000, $"{name}: only {s.Count} points");
            Assert.Null(s.Mismatch);
            Assert.True(s.MaxUlps <= maxUlps, $"{name} at {Sweep.Widths[w]}: {s.MaxUlps:F3} ulps at x = {s.MaxUlpsAt:R}");
            Assert.True(s.MaxRelative <= maxRelative, $"{name} at {Sweep.Widths[w]}: relative {s.MaxRelative:E3}");
        }
    }

    [Theory]
    [MemberData(nameof(OperatorBounds))]
    public void Operator_DenseSweep_MatchesTheReferenceWithinTheMeasuredError(
        string declaration, double forwardUlps, double forwardMixed, double backwardUlps, double backwardMixed)
    {
        (ErrorStats[] forward, ErrorStats[] backward) = NumericsHelpers.Operator(declaration).Measure(2039 * 32);

        foreach (int w in NumericsHelpers.Widths)
        {
            (ErrorStats f, ErrorStats b) = (forward[w], backward[w]);
            string at = $"{declaration} at {Sweep.Widths[w]}";
            Assert.True(f.Count > 60_000, $"{at}: only {f.Count} points");
            Assert.Null(f.Mismatch);
            Assert.Null(b.Mismatch);
            Assert.True(f.MaxUlps <= forwardUlps, $"{at}: forward {f.MaxUlps:F3} ulps at x = {f.MaxUlpsAt:R}");
            Assert.True(f.MaxMixed <= forwardMixed, $"{at}: forward mixed {f.MaxMixed:F3} at x = {f.MaxMixedAt:R}");
            Assert.True(backwardUlps == 0 || b.MaxUlps <= backwardUlps, $"{at}: backward {b.MaxUlps:F3} ulps at u = {b.MaxUlpsAt:R}");
            Assert.True(b.MaxMixed <= backwardMixed, $"{at}: backward mixed {b.MaxMixed:F3} at u = {b.MaxMixedAt:R}");
        }
    }

    [Fact]
    public void Operators_CoverEveryActivationOfTheTable()
    {
        string[] measured = OperatorBounds().Select(r => (string)r[0]).ToArray();

        Assert.Equal(OperatorCase.All.Select(o => o.Declaration).OrderBy(d => d), measured.OrderBy(d => d));
    }
}
