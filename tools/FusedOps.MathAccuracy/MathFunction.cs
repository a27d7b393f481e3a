using System;
using System.Linq;
using System.Runtime.Intrinsics;
using FusedOps.Kernels;
using FusedOps.Reference;

namespace FusedOps.MathAccuracy;

/// <summary>One <see cref="VectorMath"/> function at the four widths, its double reference, and the arguments where its algorithm switches.</summary>
internal sealed record MathFunction(
    string Name, Func<double, double> Reference, float[] Edges,
    Func<float, float> Scalar, Func<Vector128<float>, Vector128<float>> V128,
    Func<Vector256<float>, Vector256<float>> V256, Func<Vector512<float>, Vector512<float>> V512)
{
    public static readonly MathFunction[] All =
    [
        new("Exp", Math.Exp, [0f, 88.7228394f, -87.3365479f, -103.972076f, 0.34657359f, -0.34657359f],
            VectorMath.Exp, VectorMath.Exp, VectorMath.Exp, VectorMath.Exp),
        new("Expm1", Expm1, [0f, 88.7228394f, -17.3286800f, 0.34657359f, -0.34657359f, 1e-3f, -1e-3f],
            VectorMath.Expm1, VectorMath.Expm1, VectorMath.Expm1, VectorMath.Expm1),
        new("Log1P", SpecialFunctions.Log1P, [-1f, -0.29289323f, 0.41421357f, 0f, 1f, 3f, 16777216f],
            VectorMath.Log1P, VectorMath.Log1P, VectorMath.Log1P, VectorMath.Log1P),
        new("Tanh", Math.Tanh, [0f, 0.625f, -0.625f, 9.01091290f, 44.3614197f],
            VectorMath.Tanh, VectorMath.Tanh, VectorMath.Tanh, VectorMath.Tanh),
        new("Erf", SpecialFunctions.Erf, [0f, 0.927734375f, -0.927734375f, 3.9192059f, -3.9192059f],
            VectorMath.Erf, VectorMath.Erf, VectorMath.Erf, VectorMath.Erf),
        new("Sigmoid", x => 1 / (1 + Math.Exp(-x)), [0f, -87.3365479f, -103.972076f, 16.6355324f, 88.7228394f],
            VectorMath.Sigmoid, VectorMath.Sigmoid, VectorMath.Sigmoid, VectorMath.Sigmoid),
        new("Atan", Math.Atan, [0f, 0.41421357f, -0.41421357f, 2.41421366f, -2.41421366f, 16777216f],
            VectorMath.Atan, VectorMath.Atan, VectorMath.Atan, VectorMath.Atan),
    ];

    /// <summary>eˣ − 1 in double: a Taylor polynomial near 0 (error below x⁷/5040), else exp − 1.</summary>
    public static double Expm1(double x) =>
        Math.Abs(x) < 1e-3 ? x * (1 + (x * (0.5 + (x * ((1.0 / 6) + (x * ((1.0 / 24) + (x * ((1.0 / 120) + (x / 720)))))))))) : Math.Exp(x) - 1;

    /// <summary>Errors at the four widths over <see cref="Sweep.Points"/>.</summary>
    public ErrorStats[] Measure(long stride)
    {
        var stats = Enumerable.Range(0, 4).Select(_ => new ErrorStats()).ToArray();
        var y = new float[Sweep.BatchLength];
        foreach (float[] x in Sweep.Points(stride, Edges))
        {
            double[] reference = x.Select(v => Reference(v)).ToArray();
            for (int w = 0; w < 4; w++)
            {
                Apply(w, x, y);
                for (int i = 0; i < x.Length; i++)
                {
                    stats[w].Add(x[i], y[i], reference[i]);
                }
            }
        }

        return stats;
    }

    public void Apply(int width, float[] x, float[] y)
    {
        switch (width)
        {
            case 0:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = Scalar(x[i]);
                }

                break;
            case 1:
                for (int i = 0; i < x.Length; i += 4)
                {
                    V128(Vector128.Create(x.AsSpan(i))).CopyTo(y.AsSpan(i));
                }

                break;
            case 2:
                for (int i = 0; i < x.Length; i += 8)
                {
                    V256(Vector256.Create(x.AsSpan(i))).CopyTo(y.AsSpan(i));
                }

                break;
            default:
                for (int i = 0; i < x.Length; i += 16)
                {
                    V512(Vector512.Create(x.AsSpan(i))).CopyTo(y.AsSpan(i));
                }

                break;
        }
    }
}
