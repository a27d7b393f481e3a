using System.Linq;
using FusedOps.MathAccuracy;
using Xunit;

namespace FusedOps.Tests.Numerics;

/// <summary>
/// The vector forms compute exactly what the scalar form does, lane by lane (one algorithm, FMA at
/// every width or at none), so a kernel's scalar tail matches its vector body bit for bit.
/// </summary>
public class WidthAgreementTests
{
    public static TheoryData<string> FunctionNames() => new(MathFunction.All.Select(f => f.Name));

    public static TheoryData<string> OperatorNames() => new(OperatorCase.All.Select(o => o.Declaration));

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void Function_EveryWidth_EqualsScalarBitForBit(string name)
    {
        MathFunction f = NumericsHelpers.Function(name);
        foreach (float[] x in Sweep.Points(65521, f.Edges))
        {
            float[] scalar = NumericsHelpers.Apply(f, 0, x);
            foreach (int w in NumericsHelpers.Widths.Skip(1))
            {
                float[] y = NumericsHelpers.Apply(f, w, x);
                int bad = Enumerable.Range(0, x.Length).FirstOrDefault(i => !NumericsHelpers.SameFloat(scalar[i], y[i]), -1);
                Assert.True(bad < 0, bad < 0 ? "" : $"{name} width {Sweep.Widths[w]} at x = {x[bad]:R}: {y[bad]:R}, scalar {scalar[bad]:R}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(OperatorNames))]
    public void Operator_EveryWidth_EqualsScalarBitForBit(string declaration)
    {
        OperatorCase op = NumericsHelpers.Operator(declaration);
        foreach (float[] x in Sweep.Points(65521, [0f, 1f, -1f, 2f, -2f, 3f, -3f, 20f]))
        {
            float[] g = x.Select((_, i) => 1f - (i % 7 * 0.25f)).ToArray();
            (float[] f0, float[] b0) = NumericsHelpers.Apply(op, 0, x, g);
            foreach (int w in NumericsHelpers.Widths.Skip(1))
            {
                (float[] f, float[] b) = NumericsHelpers.Apply(op, w, x, g);
                int bad = Enumerable.Range(0, x.Length)
                    .FirstOrDefault(i => !NumericsHelpers.SameFloat(f0[i], f[i]) || !NumericsHelpers.SameFloat(b0[i], b[i]), -1);
                Assert.True(bad < 0, bad < 0 ? "" : $"{declaration} width {Sweep.Widths[w]} at x = {x[bad]:R}: " +
                    $"({f[bad]:R}, {b[bad]:R}), scalar ({f0[bad]:R}, {b0[bad]:R})");
            }
        }
    }
}
