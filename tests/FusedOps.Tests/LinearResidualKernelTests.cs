using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The residual Linear training kernels on their own, against the unfused passes: <see cref="LinearKernels.TrainAddForward{TAct}"/>
/// keeps u bitwise equal to <see cref="ActivationPass.AddForward{TAct}"/> on <see cref="LinearKernels.MatMulNT(ref float, int, ref float, int, int, ref float, ReadOnlySpan{float})"/>'s
/// product (and ReLU's output bitwise), for the packed and the narrow path at every kernel width; <see cref="LinearKernels.AddActivationGradient{TAct}"/>
/// gives the derivative pass's dU, the saved gradient <see cref="ConvHelpers.Add"/> would, and the bias gradient of
/// <see cref="LinearKernels.ActivationGradient{TAct}"/>, bitwise; short buffers are named before anything is written.
/// </summary>
[Collection("KernelLevel")]
public sealed class LinearResidualKernelTests
{
    [Theory]
    [MemberData(nameof(LinearColumnsTests.Cases), MemberType = typeof(LinearColumnsTests))]
    public void TrainAddForward_And_AddActivationGradient_MatchTheUnfusedPasses(int vectorBits, int rows)
    {
        const int length = 7;
        foreach (int cols in new[] { 9, 38 })
        {
            var random = new Random(rows + cols);
            float[] Draw(int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();
            float[] x = Draw(rows * length), w = Draw(cols * length), bias = Draw(cols), saved = Draw(rows * cols), dy = Draw(rows * cols);
            float[] savedGrad0 = Draw(rows * cols);
            KernelLevelCollection.AtLevel(vectorBits, () =>
            {
                // Unfused: the product, then u = z + saved and y = act(u).
                float[] z = new float[rows * cols], uPlain = new float[z.Length], yPlain = new float[z.Length];
                LinearKernels.MatMulNT(ref x[0], rows, ref w[0], cols, length, ref z[0], bias);
                ActivationPass.AddForward(default(ReluOperator), ref z[0], ref saved[0], ref uPlain[0], ref yPlain[0], z.Length);

                float[] u = new float[z.Length], y = new float[z.Length];
                LinearKernels.TrainAddForward(default(ReluOperator), ref x[0], rows, w, cols, length, saved, ref u[0], ref y[0], bias);
                Assert.Equal(uPlain, u);
                Assert.Equal(yPlain, y);

                // Backward: the derivative at u, dU added to the saved tensor's gradient, Σ dU into dB.
                float[] duPlain = new float[z.Length], biasPlain = new float[cols], savedPlain = (float[])savedGrad0.Clone();
                LinearKernels.ActivationGradient(default(ReluOperator), ref dy[0], ref u[0], ref duPlain[0], rows, cols, biasPlain);
                ConvHelpers.Add(ref duPlain[0], ref savedPlain[0], z.Length);

                float[] du = new float[z.Length], biasGrad = new float[cols], savedGrad = (float[])savedGrad0.Clone();
                LinearKernels.AddActivationGradient(default(ReluOperator), ref dy[0], ref u[0], ref du[0], rows, cols, savedGrad, biasGrad);
                Assert.Equal(duPlain, du);
                Assert.Equal(savedPlain, savedGrad);
                Assert.Equal(biasPlain, biasGrad);
            });
        }
    }

    [Fact]
    public void ResidualKernels_ShortBuffers_NamedBeforeAnythingIsWritten()
    {
        const int rows = 3, cols = 5, length = 2;
        float[] x = new float[rows * length], w = new float[cols * length], u = new float[rows * cols], y = new float[rows * cols];
        u[0] = 42f;
        var forward = Assert.Throws<ArgumentException>(() =>
            LinearKernels.TrainAddForward(default(ReluOperator), ref x[0], rows, w, cols, length, new float[rows * cols - 1], ref u[0], ref y[0], ReadOnlySpan<float>.Empty));
        Assert.Equal("saved", forward.ParamName);
        Assert.Contains("14", forward.Message);
        Assert.Contains("15", forward.Message);
        float[] savedGrad = new float[(rows * cols) - 1];
        var backward = Assert.Throws<ArgumentException>(() =>
            LinearKernels.AddActivationGradient(default(ReluOperator), ref y[0], ref u[0], ref u[0], rows, cols, savedGrad, Span<float>.Empty));
        Assert.Equal("savedGrad", backward.ParamName);
        Assert.Equal(42f, u[0]);
        Assert.All(savedGrad, v => Assert.Equal(0f, v));
    }
}
