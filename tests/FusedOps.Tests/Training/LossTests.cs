using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Training;
using Xunit;

namespace FusedOps.Tests.Training;

/// <summary>
/// Every loss against a double-precision reference written from PyTorch's documented formula (a
/// different arrangement from the library's), its gradient against central differences of that
/// reference, extreme logits, and bad input rejected before anything is written.
/// </summary>
public sealed class LossTests
{
    private const int Batch = 4, Classes = 5;
    private static readonly int[] Labels = [3, 0, 4, 3];
    private static readonly float[] Weights = [0.5f, 2f, 1f, 0.25f, 1.5f];
    private static readonly float[] PositiveWeights = [3f, 0.5f, 1f, 2f, 0.2f];

    public static TheoryData<string> Cases() => new(LossCases.Keys);

    private static readonly Dictionary<string, LossCase> LossCases = new()
    {
        ["CrossEntropy"] = new(Random(1, 3f), null, (x, g) => SoftmaxCrossEntropy.Compute(x, Labels, Batch, g), x => CrossEntropy(x, null, 0)),
        ["CrossEntropyWeightedSmoothed"] = new(Random(2, 3f), null, (x, g) => SoftmaxCrossEntropy.Compute(x, Labels, Batch, g, Weights, 0.2f), x => CrossEntropy(x, Weights, 0.2)),
        ["Nll"] = new(Random(3, 2f), null, (x, g) => NllLoss.Compute(x, Labels, Batch, g), x => -Labels.Select((y, n) => x[(n * Classes) + y]).Average()),
        ["NllWeighted"] = new(Random(4, 2f), null, (x, g) => NllLoss.Compute(x, Labels, Batch, g, Weights), x => -Labels.Select((y, n) => Weights[y] * x[(n * Classes) + y]).Sum() / Labels.Sum(y => (double)Weights[y])),
        ["Mse"] = new(Random(5, 2f), Random(6, 2f), (x, g) => MseLoss.Compute(x, Random(6, 2f), g), x => Pointwise(x, Random(6, 2f), d => d * d)),
        ["L1"] = new(Random(7, 2f), Random(8, 2f), (x, g) => L1Loss.Compute(x, Random(8, 2f), g), x => Pointwise(x, Random(8, 2f), Math.Abs)),
        ["Huber"] = new(Random(9, 2f), Random(10, 2f), (x, g) => HuberLoss.Compute(x, Random(10, 2f), g, 0.7f), x => Pointwise(x, Random(10, 2f), d => Math.Abs(d) < 0.7 ? 0.5 * d * d : 0.7 * (Math.Abs(d) - 0.35))),
        ["Bce"] = new(Random(11, 3f), Probabilities(12), (x, g) => BceWithLogits.Compute(x, Probabilities(12), Batch, g), x => Bce(x, Probabilities(12), null)),
        ["BcePosWeight"] = new(Random(13, 3f), Probabilities(14), (x, g) => BceWithLogits.Compute(x, Probabilities(14), Batch, g, PositiveWeights), x => Bce(x, Probabilities(14), PositiveWeights)),
        ["KlBatchMean"] = new(LogSoftmax(15), null, (x, g) => KlDivergence.Compute(x, Probabilities(16), Batch, g), x => Kl(x, Probabilities(16)) / Batch),
        ["KlMean"] = new(LogSoftmax(17), null, (x, g) => KlDivergence.Compute(x, Probabilities(18), Batch, g, KlReduction.Mean), x => Kl(x, Probabilities(18)) / (Batch * Classes)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Compute_MatchesDoubleReferenceAndFiniteDifferences(string name)
    {
        LossCase c = LossCases[name];
        float[] input = (float[])c.Input.Clone();
        var gradient = new float[input.Length];

        float loss = c.Compute(input, gradient);

        double expected = c.Reference(Normwise.ToDouble(input));
        Assert.True(Math.Abs(loss - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"{name}: loss {loss}, reference {expected}");
        for (int i = 0; i < input.Length; i++)
        {
            double[] up = Normwise.ToDouble(input), down = Normwise.ToDouble(input);
            up[i] += 1e-6;
            down[i] -= 1e-6;
            double numeric = (c.Reference(up) - c.Reference(down)) / 2e-6;
            Assert.True(Math.Abs(numeric - gradient[i]) <= 1e-5 * Math.Max(1, Math.Abs(numeric)), $"{name} element {i}: analytic {gradient[i]}, numeric {numeric}");
        }

        Assert.Equal(loss, c.Compute(input, []));
    }

    [Theory]
    [InlineData(1e4f)]
    [InlineData(-1e4f)]
    public void Compute_LogitsOfMagnitude1e4_StayFinite(float magnitude)
    {
        float[] logits = Random(20, 1f).Select((v, i) => i % 2 == 0 ? magnitude : -magnitude * v).ToArray();
        var gradient = new float[logits.Length];
        float[] losses =
        [
            SoftmaxCrossEntropy.Compute(logits, Labels, Batch, gradient, Weights, 0.1f),
            BceWithLogits.Compute(logits, Probabilities(21), Batch, gradient, PositiveWeights),
            KlDivergence.Compute(logits.Select(v => -Math.Abs(v)).ToArray(), Probabilities(22), Batch, gradient),
            HuberLoss.Compute(logits, Random(23, 1f), gradient),
        ];

        Assert.All(losses, l => Assert.True(float.IsFinite(l), $"loss {l}"));
        Assert.All(gradient, g => Assert.True(float.IsFinite(g)));
        var bce = new float[1];
        Assert.Equal(magnitude > 0 ? magnitude : 0f, BceWithLogits.Compute([magnitude], [0f], 1, bce)); // log(1 + e^x) → x
        Assert.Equal(magnitude > 0 ? 1f : 0f, bce[0]);
    }

    [Fact]
    public void BadInput_IsRejectedNamingArgumentBeforeWritingGradient()
    {
        float[] logits = Random(30, 1f), gradient = Enumerable.Repeat(7f, logits.Length).ToArray();
        var rejected = new (Action Call, string Parameter, string Fragment)[]
        {
            (() => SoftmaxCrossEntropy.Compute(logits, Labels, Batch, gradient, [1f, 2f], 0f), "classWeights", "one weight per class (5), got 2"),
            (() => SoftmaxCrossEntropy.Compute(logits, Labels, Batch, gradient, [], 1.5f), "labelSmoothing", "must be in [0, 1], got 1.5"),
            (() => SoftmaxCrossEntropy.Compute(logits, Labels, Batch, gradient, [0f, 1f, 1f, 0f, 0f], 0f), "classWeights", "sum to 0"),
            (() => NllLoss.Compute(logits, [0, 1, 9, 2], Batch, gradient), "labels", "labels[2] must be a class index in [0, 5), got 9"),
            (() => MseLoss.Compute(logits, new float[3], gradient), "targets", "must equal predictions length (20), got 3"),
            (() => L1Loss.Compute(logits, logits, new float[2]), "predictionsGradient", "must be empty or as long as predictions (20), got 2"),
            (() => HuberLoss.Compute(logits, logits, gradient, 0f), "delta", "must be finite and > 0, got 0"),
            (() => BceWithLogits.Compute(logits, Enumerable.Repeat(1.5f, 20).ToArray(), Batch, gradient), "targets", "targets[0] must be a probability in [0, 1], got 1.5"),
            (() => BceWithLogits.Compute(logits, Probabilities(1), Batch, gradient, [1f]), "positiveWeights", "one weight per output (5), got 1"),
            (() => KlDivergence.Compute(logits, Probabilities(1), 3, gradient), "logProbabilities", "positive multiple of batchSize (3), got 20"),
            (() => KlDivergence.Compute(logits, Enumerable.Repeat(-1f, 20).ToArray(), Batch, gradient), "targets", "targets[0] must be a finite probability >= 0, got -1"),
        };

        foreach ((Action call, string parameter, string fragment) in rejected)
        {
            var ex = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(parameter, ex.ParamName);
            Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
            Assert.All(gradient, g => Assert.Equal(7f, g));
        }
    }

    private sealed record LossCase(float[] Input, float[]? Target, Func<float[], float[], float> Compute, Func<double[], double> Reference);

    /// <summary>PyTorch's documented form: −Σ_c w_c·q[n,c]·log p[n,c] with q the smoothed one-hot, over Σ w[yₙ].</summary>
    private static double CrossEntropy(double[] x, float[]? w, double epsilon)
    {
        double total = 0, weights = 0;
        for (int n = 0; n < Batch; n++)
        {
            double[] row = x.Skip(n * Classes).Take(Classes).ToArray();
            double max = row.Max(), logSum = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            for (int c = 0; c < Classes; c++)
            {
                double q = ((c == Labels[n] ? 1 : 0) * (1 - epsilon)) + (epsilon / Classes);
                total -= (w?[c] ?? 1.0) * q * (row[c] - logSum);
            }

            weights += w?[Labels[n]] ?? 1.0;
        }

        return total / weights;
    }

    private static double Pointwise(double[] x, float[] y, Func<double, double> f) => x.Select((v, i) => f(v - y[i])).Average();

    private static double Bce(double[] x, float[] y, float[]? positive)
    {
        double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        return x.Select((v, i) => -(((positive?[i % Classes] ?? 1.0) * y[i] * Math.Log(Sigmoid(v))) + ((1 - y[i]) * Math.Log(1 - Sigmoid(v))))).Average();
    }

    private static double Kl(double[] logP, float[] t) => logP.Select((x, i) => t[i] == 0 ? 0 : t[i] * (Math.Log(t[i]) - x)).Sum();

    private static float[] Random(int seed, float scale)
    {
        var values = new float[Batch * Classes];
        new InitRandom(seed).FillUniform(values, scale);
        return values;
    }

    /// <summary>Rows of probabilities, one exact zero among them (0·log 0 terms).</summary>
    private static float[] Probabilities(int seed)
    {
        float[] values = Random(seed, 1f).Select(Math.Abs).ToArray();
        values[1] = 0f;
        for (int n = 0; n < Batch; n++)
        {
            float sum = values.Skip(n * Classes).Take(Classes).Sum();
            for (int c = 0; c < Classes; c++)
            {
                values[(n * Classes) + c] /= sum;
            }
        }

        return values;
    }

    private static float[] LogSoftmax(int seed)
    {
        float[] z = Random(seed, 2f), result = new float[z.Length];
        for (int n = 0; n < Batch; n++)
        {
            double logSum = Math.Log(z.Skip(n * Classes).Take(Classes).Sum(v => Math.Exp(v)));
            for (int c = 0; c < Classes; c++)
            {
                result[(n * Classes) + c] = (float)(z[(n * Classes) + c] - logSum);
            }
        }

        return result;
    }
}
