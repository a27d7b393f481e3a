using System;
using FusedOps.MathAccuracy;
using Xunit;

namespace FusedOps.Tests.Numerics;

/// <summary>Special values and the ends of the ranges of the vector math, at every width.</summary>
public class VectorMathEdgeTests
{
    private const float Inf = float.PositiveInfinity;
    private const float NaN = float.NaN;

    // name, x, expected; exact (zeros by sign, NaN as NaN) unless a tolerance in ulps is given.
    public static TheoryData<string, float, float, float> Cases() => new()
    {
        { "Exp", NaN, NaN, 0 },
        { "Exp", Inf, Inf, 0 },
        { "Exp", -Inf, 0f, 0 },
        { "Exp", 88.72283f, 3.4027985e38f, 1 },       // near the last finite result
        { "Exp", 88.7228394f, Inf, 0 },              // the first float above ln(float.MaxValue)
        { "Exp", float.MaxValue, Inf, 0 },
        { "Exp", -104f, 0f, 0 },
        { "Exp", -100f, 3.78350585e-44f, 1 },         // subnormal: one rounding, to within one subnormal step
        { "Exp", -87.5f, 9.9823514e-39f, 1 },        // just below the normal range
        { "Exp", -0f, 1f, 0 },
        { "Exp", -float.MaxValue, 0f, 0 },
        { "Expm1", -0f, -0f, 0 },
        { "Expm1", 1e-30f, 1e-30f, 0 },
        { "Expm1", -Inf, -1f, 0 },
        { "Expm1", -100f, -1f, 0 },
        { "Expm1", 88.72283f, 3.4027985e38f, 1 },
        { "Expm1", 89f, Inf, 0 },
        { "Expm1", Inf, Inf, 0 },
        { "Expm1", NaN, NaN, 0 },
        { "Log1P", -1f, -Inf, 0 },
        { "Log1P", -2f, NaN, 0 },
        { "Log1P", -Inf, NaN, 0 },
        { "Log1P", Inf, Inf, 0 },
        { "Log1P", -0f, -0f, 0 },
        { "Log1P", 1e-30f, 1e-30f, 0 },
        { "Log1P", float.MaxValue, 88.7228394f, 1 },
        { "Log1P", NaN, NaN, 0 },
        { "Tanh", Inf, 1f, 0 },
        { "Tanh", -Inf, -1f, 0 },
        { "Tanh", 10f, 1f, 0 },
        { "Tanh", -0f, -0f, 0 },
        { "Tanh", 1e-30f, 1e-30f, 0 },
        { "Tanh", NaN, NaN, 0 },
        { "Erf", Inf, 1f, 0 },
        { "Erf", -Inf, -1f, 0 },
        { "Erf", 4f, 1f, 0 },
        { "Erf", -1e30f, -1f, 0 },
        { "Erf", -0f, -0f, 0 },
        { "Erf", 1e-30f, 1.12837917e-30f, 1 },
        { "Erf", NaN, NaN, 0 },
        { "Sigmoid", Inf, 1f, 0 },
        { "Sigmoid", -Inf, 0f, 0 },
        { "Sigmoid", -0f, 0.5f, 0 },
        { "Sigmoid", 1e30f, 1f, 0 },
        { "Sigmoid", -1e30f, 0f, 0 },
        { "Sigmoid", -80f, 1.8048514e-35f, 2 },      // the lower tail keeps its relative accuracy
        { "Sigmoid", NaN, NaN, 0 },
        { "Atan", Inf, 1.57079637f, 0 },
        { "Atan", -Inf, -1.57079637f, 0 },
        { "Atan", 1e30f, 1.57079637f, 0 },
        { "Atan", -0f, -0f, 0 },
        { "Atan", NaN, NaN, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Function_SpecialInput_GivesTheLimitAtEveryWidth(string name, float x, float expected, float ulps)
    {
        MathFunction f = NumericsHelpers.Function(name);
        foreach (int w in NumericsHelpers.Widths)
        {
            float y = NumericsHelpers.Apply(f, w, [x])[0];
            string what = $"{name}({x:R}) at {Sweep.Widths[w]}: expected {expected:R}, got {y:R}";
            if (ulps == 0)
            {
                Assert.True(NumericsHelpers.SameFloat(expected, y), what);
            }
            else
            {
                Assert.True(ErrorStats.Ulps(y, expected) <= ulps, what);
            }
        }
    }
}
