using System;
using System.Linq;
using System.Runtime.Intrinsics;
using FusedOps.Kernels;
using FusedOps.MathAccuracy;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests.Numerics;

/// <summary>PReLU, RReLU and BipolarReLU used as their XML docs tell the generator to use them.</summary>
public class ChannelOperatorTests
{
    [Fact]
    public void PRelu_PerChannelOperatorsAndSlopeGradient_MatchTheReference()
    {
        // Three channels of 4×5, batch 2: one operator per channel plane, slope gradient summed over the batch.
        const int channels = 3, plane = 20, batch = 2;
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(3, 4, 5)] [PReLU(NumParameters = 3)]");
        float[] weight = [0.25f, -0.5f, 1.75f];
        var random = new Random(5);
        float[] x = Enumerable.Range(0, batch * channels * plane).Select(i => i % 9 == 0 ? 0f : (float)(random.NextDouble() * 8 - 4)).ToArray();
        float[] g = x.Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var state = new System.Collections.Generic.Dictionary<string, double[]> { ["0.weight"] = weight.Select(v => (double)v).ToArray() };
        double[] expected = model.ForwardDouble(x.Select(v => (double)v).ToArray(), batch, training: true, state);
        (double[] inputGrad, var paramGrads) = model.BackwardDouble(g.Select(v => (double)v).ToArray());

        foreach (int w in NumericsHelpers.Widths)
        {
            var y = new float[x.Length];
            var dx = new float[x.Length];
            var slopeGrad = new float[channels];
            for (int n = 0; n < batch; n++)
            {
                for (int c = 0; c < channels; c++)
                {
                    int offset = ((n * channels) + c) * plane;
                    float[] xs = x[offset..(offset + plane)];
                    float[] gs = g[offset..(offset + plane)];
                    (float[] f, float[] b) = NumericsHelpers.Apply(OperatorCase.Of("PReLU", new PReluOperator(weight[c])), w, xs, gs);
                    f.CopyTo(y, offset);
                    b.CopyTo(dx, offset);
                    slopeGrad[c] += PReluOperator.SlopeGradient(gs, xs);
                }
            }

            ReferenceTests.AssertClose(expected, y.Select(v => (double)v).ToArray(), 1e-6);
            ReferenceTests.AssertClose(inputGrad, dx.Select(v => (double)v).ToArray(), 1e-6);
            ReferenceTests.AssertClose(paramGrads["0.weight"], slopeGrad.Select(v => (double)v).ToArray(), 1e-4);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(1001)]
    public void PRelu_SlopeGradient_SumsGTimesUOverTheNonPositiveInputs(int length)
    {
        var random = new Random(length);
        float[] u = Enumerable.Range(0, length).Select(i => i % 5 == 0 ? 0f : (float)(random.NextDouble() * 6 - 3)).ToArray();
        float[] g = u.Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        double expected = u.Select((v, i) => v > 0 ? 0 : (double)g[i] * v).Sum();
        double scale = u.Select((v, i) => Math.Abs((double)g[i] * v)).Sum();

        Assert.Equal(expected, PReluOperator.SlopeGradient(g, u), 1e-6 * Math.Max(scale, 1));
    }

    [Fact]
    public void PRelu_SlopeGradient_RejectsSpansOfDifferentLengths()
    {
        var e = Assert.Throws<ArgumentException>(() => PReluOperator.SlopeGradient(new float[3], new float[4]));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("3", e.Message);
        Assert.Contains("4", e.Message);
    }

    [Fact]
    public void RRelu_FillSlopes_DrawsDeterministicallyWithinTheRange()
    {
        var slopes = new float[4096];
        RReluOperator.FillSlopes(slopes, 0.125f, 0.33333334f, new InitRandom(3));
        var again = new float[4096];
        RReluOperator.FillSlopes(again, 0.125f, 0.33333334f, new InitRandom(3));

        Assert.Equal(slopes, again);
        Assert.All(slopes, s => Assert.InRange(s, 0.125f, 0.33333334f));
        Assert.InRange(slopes.Average(), 0.225, 0.233);   // mean 0.229, σ of the mean 0.0009
        Assert.Equal(0.22916667f, RReluOperator.InferenceSlope(0.125f, 0.33333334f));
    }

    [Fact]
    public void RRelu_TrainingForwardAndBackward_ScaleNonPositiveInputsByTheirSlopeAtEveryWidth()
    {
        float[] x = Enumerable.Range(0, 48).Select(i => i % 6 == 0 ? 0f : i % 11 == 0 ? float.NaN : (i - 24) * 0.37f).ToArray();
        float[] g = x.Select((_, i) => 1f + (i * 0.5f)).ToArray();
        var slopes = new float[x.Length];
        RReluOperator.FillSlopes(slopes, 0.1f, 0.3f, new InitRandom(11));
        var op = default(RReluOperator);

        for (int i = 0; i < x.Length; i += 16)
        {
            var (xv, gv, sv) = (Vector512.Create(x.AsSpan(i)), Vector512.Create(g.AsSpan(i)), Vector512.Create(slopes.AsSpan(i)));
            (Vector512<float> y512, Vector512<float> d512) = (op.Invoke(xv, sv), op.Backward(gv, xv, sv));
            (Vector256<float> y256, Vector256<float> d256) = (op.Invoke(xv.GetLower(), sv.GetLower()), op.Backward(gv.GetLower(), xv.GetLower(), sv.GetLower()));
            (Vector128<float> y128, Vector128<float> d128) = (
                op.Invoke(xv.GetLower().GetLower(), sv.GetLower().GetLower()),
                op.Backward(gv.GetLower().GetLower(), xv.GetLower().GetLower(), sv.GetLower().GetLower()));
            for (int j = 0; j < 16; j++)
            {
                int k = i + j;
                float y = x[k] <= 0 ? x[k] * slopes[k] : x[k];
                float d = x[k] <= 0 ? g[k] * slopes[k] : g[k];   // NaN is not ≤ 0: the gradient passes, as rrelu_with_noise
                Assert.True(NumericsHelpers.SameFloat(y, op.Invoke(x[k], slopes[k])) && NumericsHelpers.SameFloat(y, y512[j]), $"forward at {k}");
                Assert.True(NumericsHelpers.SameFloat(d, op.Backward(g[k], x[k], slopes[k])) && NumericsHelpers.SameFloat(d, d512[j]), $"backward at {k}");
                Assert.True(j >= 8 || (NumericsHelpers.SameFloat(y, y256[j]) && NumericsHelpers.SameFloat(d, d256[j])), $"256 at {k}");
                Assert.True(j >= 4 || (NumericsHelpers.SameFloat(y, y128[j]) && NumericsHelpers.SameFloat(d, d128[j])), $"128 at {k}");
            }
        }
    }

    [Fact]
    public void RRelu_Inference_IsPReluWithTheMeanSlope()
    {
        float[] x = Enumerable.Range(0, 64).Select(i => (i - 40) * 0.3f).ToArray();
        var model = ReferenceModel.FromDeclaration($"[FusedPipeline({x.Length})] [RReLU]");
        var expected = new float[x.Length];
        model.Infer(x, expected, 1);
        (float[] y, _) = NumericsHelpers.Apply(
            OperatorCase.Of("RReLU", new PReluOperator(RReluOperator.InferenceSlope(0.125f, 0.33333334f))), 3, x);

        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(ErrorStats.Ulps(y[i], expected[i]) <= 1, $"x = {x[i]}: {y[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void BipolarRelu_EvenChannelsAreReluAndOddOnesNegatedReluAtEveryWidth()
    {
        float[] x = Enumerable.Range(0, 64).Select(i => i % 5 == 0 ? 0f : i % 13 == 0 ? float.NaN : (i - 31) * 0.5f).ToArray();
        float[] g = x.Select((_, i) => 2f + i).ToArray();
        foreach (int w in NumericsHelpers.Widths)
        {
            (float[] even, float[] dEven) = NumericsHelpers.Apply(OperatorCase.Of("even", new BipolarReluOperator(negated: false)), w, x, g);
            (float[] odd, float[] dOdd) = NumericsHelpers.Apply(OperatorCase.Of("odd", new BipolarReluOperator(negated: true)), w, x, g);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(NumericsHelpers.SameFloat(x[i] > 0 || float.IsNaN(x[i]) ? x[i] : 0f, even[i]), $"even {x[i]}");
                Assert.True(NumericsHelpers.SameFloat(x[i] < 0 || float.IsNaN(x[i]) ? x[i] : -0f, odd[i]), $"odd {x[i]}");
                // threshold_backward: 0 where ReLU's argument is ≤ 0, so NaN lets g through.
                Assert.Equal(x[i] > 0 || float.IsNaN(x[i]) ? g[i] : 0f, dEven[i]);
                Assert.Equal(x[i] < 0 || float.IsNaN(x[i]) ? g[i] : 0f, dOdd[i]);
            }

            if (w > 0)
            {
                // Features: lanes alternate, starting with an even feature at every vector start.
                (float[] mixed, float[] dMixed) = NumericsHelpers.Apply(OperatorCase.Of("features", BipolarReluOperator.Interleaved), w, x, g);
                for (int i = 0; i < x.Length; i++)
                {
                    Assert.True(NumericsHelpers.SameFloat(i % 2 == 0 ? even[i] : odd[i], mixed[i]), $"feature {i}");
                    Assert.Equal(i % 2 == 0 ? dEven[i] : dOdd[i], dMixed[i]);
                }
            }
        }
    }
}
