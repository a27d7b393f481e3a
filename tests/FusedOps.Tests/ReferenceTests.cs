using System;
using System.Linq;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>Known values computed by hand, shapes, state names, initialisation and determinism of the reference.</summary>
public class ReferenceTests
{
    private const double Exact = 1e-12;

    [Fact]
    public void Conv1x1_EqualsPerPixelMatrixMultiply()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(3, 2, 3)] [Conv2d(2, 1)]");
        float[] w = [1, 2, -1, 0.5f, 0, 3];   // [2 out, 3 in]
        float[] b = [0.25f, -1];
        w.CopyTo(model.Parameters["0.weight"].Data, 0);
        b.CopyTo(model.Parameters["0.bias"].Data, 0);
        double[] x = Enumerable.Range(0, 2 * 3 * 6).Select(i => (i % 7) - 2.5).ToArray();

        double[] y = model.ForwardDouble(x, 2, training: false);

        // y[n, o, p] = b[o] + Σc W[o, c]·x[n, c, p] at each of the 6 pixels p.
        for (int n = 0; n < 2; n++)
        {
            for (int o = 0; o < 2; o++)
            {
                for (int p = 0; p < 6; p++)
                {
                    double expected = b[o];
                    for (int c = 0; c < 3; c++)
                    {
                        expected += w[(o * 3) + c] * x[(n * 18) + (c * 6) + p];
                    }

                    Assert.Equal(expected, y[(n * 12) + (o * 6) + p], Exact);
                }
            }
        }

        // One pixel written out: x[0, :, 0] = (-2.5, 3.5, 2.5) → 0.25 + (-2.5 + 7 - 2.5), -1 + (-1.25 + 0 + 7.5).
        Assert.Equal(2.25, y[0], Exact);
        Assert.Equal(5.25, y[6], Exact);
    }

    [Fact]
    public void Conv_StrideAndPadding_SumsOnlyTheTapsInsideTheInput()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(1, 3, 3)] [Conv2d(1, 2, Padding = 1, Stride = 2, Bias = false)]");
        Array.Fill(model.Parameters["0.weight"].Data, 1f);

        double[] y = model.ForwardDouble([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, training: false);

        // Windows start at (-1, -1), (-1, 1), (1, -1), (1, 1); padding contributes zero.
        Assert.Equal([1.0, 2 + 3, 4 + 7, 5 + 6 + 8 + 9], y);
    }

    [Fact]
    public void Conv_Dilation_SpreadsTheTaps()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(1, 5, 5)] [Conv2d(1, 2, Dilation = 2, Bias = false)]");
        float[] w = [1, 10, 100, 1000];
        w.CopyTo(model.Parameters["0.weight"].Data, 0);

        double[] y = model.ForwardDouble(Enumerable.Range(0, 25).Select(i => (double)i).ToArray(), 1, training: false);

        Assert.Equal([3, 3], model.OutputShapeArray[1..]);
        Assert.Equal((0 * 1) + (2 * 10) + (10 * 100) + (12 * 1000), y[0], Exact);   // taps (0,0) (0,2) (2,0) (2,2)
        Assert.Equal((6 * 1) + (8 * 10) + (16 * 100) + (18 * 1000), y[4], Exact);   // output (1,1)
    }

    [Fact]
    public void Conv_Groups_ConnectEachOutputOnlyToItsGroup()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(2, 1, 2)] [Conv2d(4, 1, Groups = 2, Bias = false)]");
        float[] w = [2, 3, 5, 7];   // [4 out, 1 in per group]; outputs 0-1 see channel 0, 2-3 see channel 1
        w.CopyTo(model.Parameters["0.weight"].Data, 0);

        double[] y = model.ForwardDouble([1, 10, 100, 1000], 1, training: false);

        Assert.Equal([2.0, 20, 3, 30, 500, 5000, 700, 7000], y);
    }

    [Fact]
    public void Linear_ComputesXTimesWTransposedPlusBias()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(2)] [Linear(3)]");
        float[] w = [1, 2, 3, 4, 5, 6];
        float[] b = [0.5f, -0.5f, 1];
        w.CopyTo(model.Parameters["0.weight"].Data, 0);
        b.CopyTo(model.Parameters["0.bias"].Data, 0);

        Assert.Equal([-0.5, -1.5, 0, 2.5, 3.5, 7], model.ForwardDouble([1, -1, 0, 1], 2, training: true));
    }

    [Fact]
    public void BatchNorm1d_Training_NormalisesByBiasedVarianceAndUpdatesRunningStatsWithUnbiased()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(2)] [BatchNorm(Momentum = 0.25f)]");
        float[] input = [1, 5, 2, 5, 3, 5, 6, 5];   // channel 0: 1, 2, 3, 6; channel 1: constant 5
        var output = new float[8];

        model.Forward(input, output, 4);

        // Channel 0: mean 3, biased variance 14/4 = 3.5, unbiased 14/3.
        Assert.Equal((1 - 3) / Math.Sqrt(3.5 + 1e-5), output[0], 6);
        Assert.Equal((6 - 3) / Math.Sqrt(3.5 + 1e-5), output[6], 6);
        Assert.Equal(0f, output[1]);
        float[] runningMean = model.Buffers["0.running_mean"].Data;
        float[] runningVar = model.Buffers["0.running_var"].Data;
        Assert.Equal((0.75 * 0) + (0.25 * 3), runningMean[0], 6);
        Assert.Equal((0.75 * 1) + (0.25 * 14.0 / 3), runningVar[0], 6);
        Assert.Equal((0.75 * 0) + (0.25 * 5), runningMean[1], 6);
        Assert.Equal(0.75, runningVar[1], 6);

        // Inference now uses the running statistics.
        var inferred = new float[2];
        model.Infer([1, 5], inferred, 1);
        Assert.Equal((1 - 0.75) / Math.Sqrt(1.9166666666666667 + 1e-5), inferred[0], 6);
        Assert.Equal((5 - 1.25) / Math.Sqrt(0.75 + 1e-5), inferred[1], 5);
    }

    [Fact]
    public void BatchNorm2d_StatisticsSpanBatchAndSpace()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(1, 1, 2)] [BatchNorm(Epsilon = 1e-30f)]"); // ε must be above 0; this small it does not change the doubles below

        model.Forward([1, 3, 5, 7], new float[4], 2);

        // n = batch 2 × 2 pixels = 4: mean 4, biased variance 5, unbiased 20/3.
        Assert.Equal(0.1 * 4, model.Buffers["0.running_mean"].Data[0], 6);
        Assert.Equal(0.9 + (0.1 * 20.0 / 3), model.Buffers["0.running_var"].Data[0], 6);
        double[] y = model.ForwardDouble([1, 3, 5, 7], 2, training: true);
        AssertClose([-3 / Math.Sqrt(5), -1 / Math.Sqrt(5), 1 / Math.Sqrt(5), 3 / Math.Sqrt(5)], y);
    }

    [Fact]
    public void LayerNorm_NormalisesEachSampleOverAllItsElements()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(4)] [LayerNorm]");

        double[] y = model.ForwardDouble([1, 2, 3, 4, 10, 10, 10, 10], 2, training: true);

        double s = Math.Sqrt(1.25 + 1e-5);
        AssertClose([-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, 0, 0, 0, 0], y);
    }

    [Fact]
    public void GroupNorm_WithOneChannelPerGroupEqualsInstanceNorm_AndOneGroupEqualsLayerNorm()
    {
        double[] x = Enumerable.Range(0, 2 * 4 * 6).Select(i => Math.Sin(i * 1.7) * 3).ToArray();
        double[] group4 = ReferenceModel.FromDeclaration("[FusedPipeline(4, 2, 3)] [GroupNorm(4)]").ForwardDouble(x, 2, true);
        double[] instance = ReferenceModel.FromDeclaration("[FusedPipeline(4, 2, 3)] [InstanceNorm]").ForwardDouble(x, 2, true);
        double[] group1 = ReferenceModel.FromDeclaration("[FusedPipeline(4, 2, 3)] [GroupNorm(1)]").ForwardDouble(x, 2, true);
        double[] layer = ReferenceModel.FromDeclaration("[FusedPipeline(4, 2, 3)] [LayerNorm]").ForwardDouble(x, 2, true);

        Assert.Equal(instance, group4);
        Assert.Equal(layer, group1);
        Assert.NotEqual(group1, group4);
    }

    [Fact]
    public void LocalResponseNorm_WindowsChannelsAsPyTorch()
    {
        // size 2: channel c sees channels c − 1 and c; the divisor is always size.
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(2, 1, 1)] [LocalResponseNorm(2, Alpha = 1f, Beta = 1f, K = 1f)]");

        double[] y = model.ForwardDouble([1, 2], 1, training: true);

        Assert.Equal(1 / (1 + (1.0 / 2)), y[0], Exact);
        Assert.Equal(2 / (1 + ((1.0 + 4) / 2)), y[1], Exact);
    }

    [Fact]
    public void Pooling_KnownValues()
    {
        double[] ramp = Enumerable.Range(0, 16).Select(i => (double)i).ToArray();
        Assert.Equal([5.0, 7, 13, 15], ReferenceModel.FromDeclaration("[FusedPipeline(1, 4, 4)] [MaxPool2d(2)]").ForwardDouble(ramp, 1, true));
        Assert.Equal([2.5, 4.5, 10.5, 12.5], ReferenceModel.FromDeclaration("[FusedPipeline(1, 4, 4)] [AvgPool2d(2)]").ForwardDouble(ramp, 1, true));
        Assert.Equal([7.5], ReferenceModel.FromDeclaration("[FusedPipeline(1, 4, 4)] [GlobalAvgPool2d]").ForwardDouble(ramp, 1, true));

        // Padding counts in the divisor: every 3×3 window over a padded 3×3 of ones holds 4 ones.
        double[] avg = ReferenceModel.FromDeclaration("[FusedPipeline(1, 3, 3)] [AvgPool2d(3, Stride = 2, Padding = 1)]")
            .ForwardDouble(Enumerable.Repeat(1.0, 9).ToArray(), 1, true);
        Assert.All(avg, v => Assert.Equal(4.0 / 9, v, Exact));

        // Padding counts as −∞ for max pooling.
        double[] max = ReferenceModel.FromDeclaration("[FusedPipeline(1, 2, 2)] [MaxPool2d(2, Stride = 1, Padding = 1)]")
            .ForwardDouble([-1, -2, -3, -4], 1, true);
        Assert.Equal([-1.0, -1, -2, -1, -1, -2, -3, -3, -4], max);
    }

    [Fact]
    public void MaxPool_Tie_SendsTheGradientToTheFirstMaximum()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(1, 2, 2)] [MaxPool2d(2)]");
        model.ForwardDouble([3, 3, 3, 3], 1, true);

        Assert.Equal([1.0, 0, 0, 0], model.BackwardDouble([1]).InputGrad);
    }

    internal static void AssertClose(double[] expected, double[] actual, double tolerance = Exact)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
