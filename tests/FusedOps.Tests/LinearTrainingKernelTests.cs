using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The Linear training epilogue kernels on their own: <see cref="LinearKernels.TrainForward{TAct}"/> keeps z bitwise equal to
/// <see cref="LinearKernels.MatMulNT(ref float, int, ref float, int, int, ref float, ReadOnlySpan{float})"/>'s product and stores the
/// operator's value beside it, at every kernel width, for the packed and the small path, with ±∞ and NaN among the products;
/// <see cref="LinearKernels.TrainMaxout"/> against the Maxout pass on that product; and bad arguments are named before anything is written.
/// </summary>
[Collection("KernelLevel")]
public sealed class LinearTrainingKernelTests
{
    [Theory]
    [MemberData(nameof(LinearColumnsTests.Cases), MemberType = typeof(LinearColumnsTests))]
    public void TrainForward_KeepsTheProduct_StoresTheOperatorBesideIt(int vectorBits, int rows)
    {
        const int cols = 38, length = 5;
        var random = new Random(rows);
        float[] x = Enumerable.Range(0, rows * length).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] w = Enumerable.Range(0, cols * length).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] bias = Enumerable.Range(0, cols).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] slopes = Enumerable.Range(0, rows * cols).Select(_ => random.NextSingle()).ToArray();
        bias[4] = float.NegativeInfinity;
        bias[21] = float.PositiveInfinity;
        bias[6] = float.NaN;

        KernelLevelCollection.AtLevel(vectorBits, () =>
        {
            float[] plain = new float[rows * cols];
            LinearKernels.MatMulNT(ref x[0], rows, ref w[0], cols, length, ref plain[0], bias);
            foreach (ColumnOperator column in new[] { ColumnOperator.None, ColumnOperator.Slope, ColumnOperator.Bipolar, ColumnOperator.RandomSlope })
            {
                float[] z = new float[plain.Length], y = new float[plain.Length];
                LinearKernels.TrainForward(default(GeluOperator), ref x[0], rows, w, cols, length, ref z[0], ref y[0], bias, column, slopes);
                Assert.Equal(plain, z);
                for (int i = 0; i < y.Length; i++)
                {
                    float v = default(GeluOperator).Invoke(z[i]);
                    float expected = column switch
                    {
                        ColumnOperator.Slope => new PReluOperator(slopes[i % cols]).Invoke(v),
                        ColumnOperator.Bipolar => new BipolarReluOperator(i % cols % 2 == 1).Invoke(v),
                        ColumnOperator.RandomSlope => default(RReluOperator).Invoke(v, slopes[i]),
                        _ => v,
                    };

                    // The epilogue's vector GELU and the scalar one may differ in the last bits; NaN and the infinities exactly.
                    Assert.True(expected.Equals(y[i]) || Math.Abs(expected - y[i]) <= 1e-6f * Math.Max(1f, Math.Abs(expected)), $"{column} [{i}]: {expected} vs {y[i]}");
                }
            }

            // Maxout over runs of 2 consecutive features of the packed product (TrainMaxout always packs): first maximum, a NaN wins.
            float[] packedProduct = new float[plain.Length];
            LinearKernels.Infer(default(IdentityOperator), ref x[0], rows, w, LinearKernels.PackWeights(w, cols, length), cols, length, ref packedProduct[0],
                Enumerable.Repeat(1f, cols).ToArray(), bias);
            float[] maxed = new float[rows * cols / 2];
            int[] winners = new int[maxed.Length];
            LinearKernels.TrainMaxout(ref x[0], rows, w, cols, length, ref maxed[0], winners, bias, 2);
            float[] expectedMax = new float[maxed.Length];
            int[] expectedPiece = new int[maxed.Length];
            ChannelActivations.MaxoutForward(ref packedProduct[0], ref expectedMax[0], ref expectedPiece[0], true, rows, cols / 2, 2, 1);
            Assert.Equal(expectedMax, maxed);
            Assert.Equal(expectedPiece, winners);
            Assert.True(float.IsNaN(maxed[3]));
        });
    }

    [Fact]
    public void TrainingKernels_BadArguments_ThrowNamingThem()
    {
        float[] x = new float[4], w = new float[8], z = new float[2], y = new float[2];
        Assert.Equal("slopes", Assert.Throws<ArgumentException>(() =>
            LinearKernels.TrainForward(default(IdentityOperator), ref x[0], 1, w, 2, 4, ref z[0], ref y[0], ReadOnlySpan<float>.Empty, ColumnOperator.Slope, new float[1])).ParamName);
        Assert.Equal("column", Assert.Throws<ArgumentOutOfRangeException>(() =>
            LinearKernels.TrainForward(default(IdentityOperator), ref x[0], 1, w, 2, 4, ref z[0], ref y[0], ReadOnlySpan<float>.Empty, ColumnOperator.Maxout, ReadOnlySpan<float>.Empty)).ParamName);
        Assert.Equal("pieces", Assert.Throws<ArgumentOutOfRangeException>(() =>
            LinearKernels.TrainMaxout(ref x[0], 1, w, 2, 4, ref y[0], new int[1], ReadOnlySpan<float>.Empty, 3)).ParamName);
        Assert.Equal("slopes", Assert.Throws<ArgumentException>(() =>
            LinearKernels.ColumnGradient(ref y[0], ref z[0], ref x[0], 1, 2, Span<float>.Empty, ColumnOperator.Slope, new float[3], new float[3])).ParamName);
        Assert.Equal("biasGrad", Assert.Throws<ArgumentException>(() =>
            LinearKernels.ActivationGradient(default(IdentityOperator), ref y[0], ref z[0], ref x[0], 1, 2, new float[1])).ParamName);
        Assert.Equal(new float[4], x);
    }
}
