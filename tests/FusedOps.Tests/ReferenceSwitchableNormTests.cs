using System;
using System.Linq;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// SwitchableNorm against a direct transcription of its definition, and, with one-hot mixing
/// weights, against the BatchNorm, InstanceNorm and GroupNorm(1) (= LayerNorm with per-channel
/// affine) it then reduces to, in training and in eval.
/// </summary>
public class ReferenceSwitchableNormTests
{
    private const int Batch = 3, C = 2, H = 2, W = 3, S = H * W;
    private const double Eps = 1e-5;

    [Theory]
    [InlineData(true, 1, 1, 1, 1, 1, 1)]
    [InlineData(false, 1, 1, 1, 1, 1, 1)]
    [InlineData(true, 0.3, -1.2, 2, 1.5, 0.1, -0.7)]
    [InlineData(false, 0.3, -1.2, 2, 1.5, 0.1, -0.7)]
    [InlineData(true, 30, -30, -30, -30, -30, 30)]
    public void MatchesTheDefinition(bool training, double m0, double m1, double m2, double v0, double v1, double v2)
    {
        var model = GradientCheck.Randomize(ReferenceModel.FromDeclaration($"[FusedPipeline({C}, {H}, {W})] [SwitchableNorm]"), seed: 1);
        new[] { (float)m0, (float)m1, (float)m2 }.CopyTo(model.Parameters["0.mean_weight"].Data, 0);
        new[] { (float)v0, (float)v1, (float)v2 }.CopyTo(model.Parameters["0.var_weight"].Data, 0);
        double[] x = GradientCheck.RandomVector(Batch * C * S, 2, new Random(4));

        double[] y = model.ForwardDouble(x, Batch, training);

        double[] expected = Definition(model, x, training);
        Assert.InRange(Normwise.MaxAbsDifference(y, expected), 0, 1e-12);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OneHotOnBatch_IsBatchNorm_IncludingTheRunningUpdate(bool training) =>
        AssertOneHotEquals("[BatchNorm]", [-40, -40, 40], training, buffers: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OneHotOnInstance_IsInstanceNorm(bool training) =>
        AssertOneHotEquals("[InstanceNorm(Affine = true)]", [40, -40, -40], training, buffers: false);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void OneHotOnLayer_IsGroupNormWithOneGroup(bool training) =>
        AssertOneHotEquals("[GroupNorm(1)]", [-40, 40, -40], training, buffers: false);

    [Fact]
    public void RunningStatistics_UpdateAsBatchNormsWhateverTheMix_AndEvalChangesNothing()
    {
        var model = GradientCheck.Randomize(ReferenceModel.FromDeclaration($"[FusedPipeline({C}, {H}, {W})] [SwitchableNorm(Momentum = 0.25f)]"), seed: 2);
        var batchNorm = ReferenceModel.FromDeclaration($"[FusedPipeline({C}, {H}, {W})] [BatchNorm(Momentum = 0.25f)]");
        model.Buffers["0.running_mean"].Data.CopyTo(batchNorm.Buffers["0.running_mean"].Data, 0);
        model.Buffers["0.running_var"].Data.CopyTo(batchNorm.Buffers["0.running_var"].Data, 0);
        float[] x = GradientCheck.RandomVector(Batch * C * S, 2, new Random(5)).Select(v => (float)v).ToArray();
        float[] before = (float[])model.Buffers["0.running_var"].Data.Clone();

        model.Infer(x, new float[x.Length], Batch);
        Assert.Equal(before, model.Buffers["0.running_var"].Data);

        model.Forward(x, new float[x.Length], Batch);
        batchNorm.Forward(x, new float[x.Length], Batch);
        Assert.Equal(batchNorm.Buffers["0.running_mean"].Data, model.Buffers["0.running_mean"].Data);
        Assert.Equal(batchNorm.Buffers["0.running_var"].Data, model.Buffers["0.running_var"].Data);
        Assert.NotEqual(before, model.Buffers["0.running_var"].Data);
    }

    private static void AssertOneHotEquals(string layer, float[] logits, bool training, bool buffers)
    {
        var model = GradientCheck.Randomize(ReferenceModel.FromDeclaration($"[FusedPipeline({C}, {H}, {W})] [SwitchableNorm]"), seed: 3);
        var other = ReferenceModel.FromDeclaration($"[FusedPipeline({C}, {H}, {W})] {layer}");
        logits.CopyTo(model.Parameters["0.mean_weight"].Data, 0);
        logits.CopyTo(model.Parameters["0.var_weight"].Data, 0);
        foreach (Parameter p in other.Parameters.Concat(other.Buffers))
        {
            Parameter source = model.Parameters.TryGet(p.Name, out Parameter q) ? q : model.Buffers[p.Name];
            source.Data.CopyTo(p.Data, 0);
        }

        float[] x = GradientCheck.RandomVector(Batch * C * S, 2, new Random(6)).Select(v => (float)v).ToArray();
        double[] y = Run(model, x, training), expected = Run(other, x, training);

        Assert.InRange(Normwise.MaxAbsDifference(y, expected), 0, 1e-12);
        if (buffers)
        {
            Assert.Equal(other.Buffers["0.running_mean"].Data, model.Buffers["0.running_mean"].Data);
            Assert.Equal(other.Buffers["0.running_var"].Data, model.Buffers["0.running_var"].Data);
        }
    }

    /// <summary>A double forward, committing the running statistics as a float forward would.</summary>
    private static double[] Run(ReferenceModel model, float[] x, bool training)
    {
        double[] y = model.ForwardDouble(Normwise.ToDouble(x), Batch, training);
        if (training)
        {
            model.Forward(x, new float[x.Length], Batch);
        }

        return y;
    }

    /// <summary>Luo et al.'s formula written out directly from the definition.</summary>
    private static double[] Definition(ReferenceModel model, double[] x, bool training)
    {
        double[] gamma = Normwise.ToDouble(model.Parameters["0.weight"].Data), beta = Normwise.ToDouble(model.Parameters["0.bias"].Data);
        double[] meanMix = Softmax(model.Parameters["0.mean_weight"].Data), varMix = Softmax(model.Parameters["0.var_weight"].Data);
        double Value(int n, int c, int s) => x[(((n * C) + c) * S) + s];
        (double Mean, double Var) Stats(double[] values) => (values.Average(), values.Select(v => (v - values.Average()) * (v - values.Average())).Average());
        double[] Instance(int n, int c) => Enumerable.Range(0, S).Select(s => Value(n, c, s)).ToArray();
        double[] Layer(int n) => Enumerable.Range(0, C).SelectMany(c => Instance(n, c)).ToArray();
        double[] BatchOf(int c) => Enumerable.Range(0, Batch).SelectMany(n => Instance(n, c)).ToArray();

        var y = new double[x.Length];
        for (int n = 0; n < Batch; n++)
        {
            for (int c = 0; c < C; c++)
            {
                (double mIn, double vIn) = Stats(Instance(n, c));
                (double mLn, double vLn) = Stats(Layer(n));
                (double mBn, double vBn) = training
                    ? Stats(BatchOf(c))
                    : (model.Buffers["0.running_mean"].Data[c], model.Buffers["0.running_var"].Data[c]);
                double mean = (meanMix[0] * mIn) + (meanMix[1] * mLn) + (meanMix[2] * mBn);
                double variance = (varMix[0] * vIn) + (varMix[1] * vLn) + (varMix[2] * vBn);
                for (int s = 0; s < S; s++)
                {
                    y[(((n * C) + c) * S) + s] = (gamma[c] * (Value(n, c, s) - mean) / Math.Sqrt(variance + Eps)) + beta[c];
                }
            }
        }

        return y;
    }

    private static double[] Softmax(float[] logits)
    {
        double[] e = logits.Select(l => Math.Exp(l)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }
}
