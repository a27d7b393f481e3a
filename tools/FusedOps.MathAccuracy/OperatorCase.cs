using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics;
using FusedOps.Kernels;
using FusedOps.Reference;

namespace FusedOps.MathAccuracy;

/// <summary>An activation operator and the reference declaration it must match.</summary>
internal abstract record OperatorCase(string Declaration)
{
    public static readonly OperatorCase[] All =
    [
        Of("ELU", new EluOperator(1f)),
        Of("ELU(Alpha = 0.5f)", new EluOperator(0.5f)),
        Of("SELU", new SeluOperator()),
        Of("GELU", new GeluOperator()),
        Of("GELU(Approximate = true)", new GeluTanhOperator()),
        Of("Sigmoid", new SigmoidOperator()),
        Of("Tanh", new TanhOperator()),
        Of("ArcTan", new ArcTanOperator()),
        Of("Softsign", new SoftsignOperator()),
        Of("SiLU", new SiluOperator()),
        Of("Swish(Beta = 2f)", new SwishOperator(2f)),
        Of("Mish", new MishOperator()),
        Of("Softplus", new SoftplusOperator(1f, 20f)),
        Of("Softplus(Beta = 2f, Threshold = 3f)", new SoftplusOperator(2f, 3f)),
        Of("HardSigmoid", new HardSigmoidOperator()),
        Of("HardSwish", new HardSwishOperator()),
        Of("Isru", new IsruOperator(1f)),
        Of("Isru(Alpha = 0.5f)", new IsruOperator(0.5f)),
        Of("Isrlu", new IsrluOperator(1f)),
        Of("SquareNonlinearity", new SquareNonlinearityOperator()),
        Of("BinaryStep", new BinaryStepOperator()),
        Of("PReLU(Init = 0.3f)", new PReluOperator(0.3f)),
    ];

    private static readonly float[] s_edges = [0f, 1f, -1f, 2f, -2f, 3f, -3f, 20f, -20f];

    /// <summary>Forward and backward (g = 1) errors at the four widths over every stride-th finite float.</summary>
    public abstract (ErrorStats[] Forward, ErrorStats[] Backward) Measure(long stride);

    /// <summary>Forward and g·f′ at one width (0 scalar, 1–3 for 128, 256, 512 bits); lengths a multiple of 16.</summary>
    public abstract void Apply(int width, float[] x, float[] g, float[] y, float[] dy);

    /// <summary>A case for <paramref name="op"/>, checked against the reference's <paramref name="declaration"/>.</summary>
    public static OperatorCase Of<TOp>(string declaration, TOp op)
        where TOp : struct, IActivationOperator
        => new OperatorCase<TOp>(declaration, op);

    /// <summary>Forward and derivative (g = 1) of the reference for <paramref name="x"/>, in double.</summary>
    protected (double[] Forward, double[] Derivative) Reference(float[] x)
    {
        var model = ReferenceModel.FromDeclaration($"[FusedPipeline({x.Length})] [{Declaration}]");
        double[] forward = model.ForwardDouble(x.Select(v => (double)v).ToArray(), 1, training: false);
        double[] derivative = model.BackwardDouble(Enumerable.Repeat(1.0, x.Length).ToArray()).InputGrad;
        return (forward, derivative);
    }

    /// <summary>Finite points only: special values are the unit tests' business (the reference's NaN conventions differ from PyTorch's for some).</summary>
    protected static IEnumerable<float[]> FinitePoints(long stride) =>
        Sweep.Points(stride, s_edges).Select(b => b.Where(float.IsFinite).ToArray()).Select(PadTo16);

    private static float[] PadTo16(float[] batch) =>
        batch.Length % 16 == 0 ? batch : batch.Concat(Enumerable.Repeat(batch[0], 16 - (batch.Length % 16))).ToArray();
}

/// <summary>Measures one operator struct at every width.</summary>
internal sealed record OperatorCase<TOp>(string Declaration, TOp Op) : OperatorCase(Declaration)
    where TOp : struct, IActivationOperator
{
    private const double UlpFloor = 9.5367431640625e-07;

    public override (ErrorStats[] Forward, ErrorStats[] Backward) Measure(long stride)
    {
        // Ulps only where |f| ≥ 2⁻²⁰: below, the reference's own cancellations (eˣ − 1, 1 + erf, 1 − σ in
        // double) and the zeros of f′ make a relative measure meaningless; the mixed error covers them.
        var forward = Enumerable.Range(0, 4).Select(_ => new ErrorStats(UlpFloor)).ToArray();
        var backward = Enumerable.Range(0, 4).Select(_ => new ErrorStats(UlpFloor)).ToArray();
        foreach (float[] x in FinitePoints(stride))
        {
            (double[] f, double[] d) = Reference(x);
            var ones = Enumerable.Repeat(1f, x.Length).ToArray();
            var y = new float[x.Length];
            var dy = new float[x.Length];
            for (int w = 0; w < 4; w++)
            {
                Apply(w, x, ones, y, dy);
                for (int i = 0; i < x.Length; i++)
                {
                    forward[w].Add(x[i], y[i], f[i]);
                    backward[w].Add(x[i], dy[i], d[i]);
                }
            }
        }

        return (forward, backward);
    }

    public override void Apply(int width, float[] x, float[] g, float[] y, float[] dy)
    {
        TOp op = Op;
        int step = width switch { 0 => 1, 1 => 4, 2 => 8, _ => 16 };
        for (int i = 0; i < x.Length; i += step)
        {
            switch (width)
            {
                case 0:
                    y[i] = op.Invoke(x[i]);
                    dy[i] = op.Backward(g[i], x[i]);
                    break;
                case 1:
                    op.Invoke(Vector128.Create(x.AsSpan(i))).CopyTo(y.AsSpan(i));
                    op.Backward(Vector128.Create(g.AsSpan(i)), Vector128.Create(x.AsSpan(i))).CopyTo(dy.AsSpan(i));
                    break;
                case 2:
                    op.Invoke(Vector256.Create(x.AsSpan(i))).CopyTo(y.AsSpan(i));
                    op.Backward(Vector256.Create(g.AsSpan(i)), Vector256.Create(x.AsSpan(i))).CopyTo(dy.AsSpan(i));
                    break;
                default:
                    op.Invoke(Vector512.Create(x.AsSpan(i))).CopyTo(y.AsSpan(i));
                    op.Backward(Vector512.Create(g.AsSpan(i)), Vector512.Create(x.AsSpan(i))).CopyTo(dy.AsSpan(i));
                    break;
            }
        }
    }
}
