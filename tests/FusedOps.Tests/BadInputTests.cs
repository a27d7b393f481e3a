using System;
using System.Linq;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>Run-time bad input: a clear exception naming the argument, expected and actual values, and nothing written.</summary>
public sealed class BadInputTests
{
    private static float[] Sentinel(int length) => Enumerable.Repeat(-12345f, length).ToArray();

    private static float[] Snapshot(IFusedModel model) =>
        model.Parameters.Concat(model.Buffers).SelectMany(p => p.Data.Concat(p.Grad)).ToArray();

    [Fact]
    public void Infer_WrongInputLength_ThrowsNamingInputAndWritesNothing()
    {
        var model = new ConvBnRelu();
        float[] output = Sentinel(2 * ConvBnRelu.OutputLength);
        var ex = Assert.Throws<ArgumentException>(() => model.Infer(new float[(2 * ConvBnRelu.InputLength) - 1], output, 2));
        Assert.Equal("input", ex.ParamName);
        Assert.Contains((2 * ConvBnRelu.InputLength).ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Contains((2 * ConvBnRelu.InputLength - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.All(output, v => Assert.Equal(-12345f, v));
    }

    [Fact]
    public void FrozenInfer_WrongOutputLength_ThrowsNamingOutputAndWritesNothing()
    {
        var frozen = new TwoBlockCnn().Freeze();
        float[] output = Sentinel((3 * TwoBlockCnn.OutputLength) + 1);
        var ex = Assert.Throws<ArgumentException>(() => frozen.Infer(new float[3 * TwoBlockCnn.InputLength], output, 3));
        Assert.Equal("output", ex.ParamName);
        Assert.All(output, v => Assert.Equal(-12345f, v));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Forward_BatchBelowOne_ThrowsAndChangesNothing(int batch)
    {
        var model = new Mlp();
        float[] before = Snapshot(model);
        float[] output = Sentinel(Mlp.OutputLength);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(new float[Mlp.InputLength], output, batch));
        Assert.Equal("batchSize", ex.ParamName);
        Assert.Equal(before, Snapshot(model));
        Assert.All(output, v => Assert.Equal(-12345f, v));
    }

    [Fact]
    public void Backward_BeforeForward_ThrowsInvalidOperation()
    {
        var model = new ConvBnRelu();
        float[] before = Snapshot(model);
        float[] dx = Sentinel(ConvBnRelu.InputLength);
        var ex = Assert.Throws<InvalidOperationException>(() => model.Backward(new float[ConvBnRelu.OutputLength], dx));
        Assert.Contains("Forward", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(model));
        Assert.All(dx, v => Assert.Equal(-12345f, v));
    }

    [Fact]
    public void Backward_SecondAfterOneForward_ThrowsInvalidOperationAndWritesNothing()
    {
        var model = new LinearBnRelu();
        model.Forward(new float[3 * LinearBnRelu.InputLength], new float[3 * LinearBnRelu.OutputLength], 3);
        model.Backward(Enumerable.Repeat(1f, 3 * LinearBnRelu.OutputLength).ToArray(), new float[3 * LinearBnRelu.InputLength]);
        float[] before = Snapshot(model);
        float[] dx = Sentinel(3 * LinearBnRelu.InputLength);

        // PyTorch raises on a second backward through the same graph; the saved activations serve one Backward.
        var ex = Assert.Throws<InvalidOperationException>(() => model.Backward(new float[3 * LinearBnRelu.OutputLength], dx));
        Assert.Contains("already", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Forward", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(model));
        Assert.All(dx, v => Assert.Equal(-12345f, v));

        // A new Forward makes Backward valid again.
        model.Forward(new float[3 * LinearBnRelu.InputLength], new float[3 * LinearBnRelu.OutputLength], 3);
        model.Backward(new float[3 * LinearBnRelu.OutputLength], dx);
        Assert.All(dx, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Backward_WrongGradientLengths_ThrowNamingTheArgument()
    {
        var model = new LinearBnRelu();
        model.Forward(new float[4 * LinearBnRelu.InputLength], new float[4 * LinearBnRelu.OutputLength], 4);
        float[] before = Snapshot(model);
        float[] dx = Sentinel(4 * LinearBnRelu.InputLength);
        var ex1 = Assert.Throws<ArgumentException>(() => model.Backward(new float[3 * LinearBnRelu.OutputLength], dx));
        Assert.Equal("outputGradient", ex1.ParamName);
        var ex2 = Assert.Throws<ArgumentException>(() => model.Backward(new float[4 * LinearBnRelu.OutputLength], new float[7]));
        Assert.Equal("inputGradient", ex2.ParamName);
        Assert.Equal(before, Snapshot(model));
        Assert.All(dx, v => Assert.Equal(-12345f, v));
    }

    [Fact]
    public void Forward_BatchNormWithOneValuePerChannel_ThrowsAndChangesNothing()
    {
        var model = new LinearBnRelu();
        float[] before = Snapshot(model);
        float[] output = Sentinel(LinearBnRelu.OutputLength);
        var ex = Assert.Throws<InvalidOperationException>(() => model.Forward(new float[LinearBnRelu.InputLength], output, 1));
        Assert.Contains("BatchNorm layer 1", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(model));
        Assert.All(output, v => Assert.Equal(-12345f, v));

        // Inference with one sample is fine.
        model.Infer(new float[LinearBnRelu.InputLength], output, 1);
        Assert.All(output, v => Assert.NotEqual(-12345f, v));
    }

    [Fact]
    public void Forward_RejectedCall_KeepsThePreviousBatchForBackward()
    {
        var model = new Mlp();
        model.Forward(new float[2 * Mlp.InputLength], new float[2 * Mlp.OutputLength], 2);
        Assert.Throws<ArgumentException>(() => model.Forward(new float[5], new float[2 * Mlp.OutputLength], 2));
        model.Backward(new float[2 * Mlp.OutputLength], new float[2 * Mlp.InputLength]);
    }

    [Fact]
    public void Infer_NaNAndInfinity_PropagateWithoutCrash()
    {
        var model = new ConvBnRelu();
        float[] x = new float[ConvBnRelu.InputLength];
        x[0] = float.NaN;
        x[5] = float.PositiveInfinity;
        float[] y = new float[ConvBnRelu.OutputLength];
        model.Infer(x, y, 1);
        Assert.Contains(y, float.IsNaN);
        model.Freeze().Infer(x, y, 1);
        Assert.Contains(y, float.IsNaN);
    }
}
