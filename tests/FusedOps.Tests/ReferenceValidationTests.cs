using System;
using System.Linq;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Bad input: every public entry point validates first, names the argument with the expected
/// and actual values, and writes nothing (outputs keep a sentinel, state is unchanged).
/// </summary>
public class ReferenceValidationTests
{
    private const float Sentinel = -12345f;
    private const string CnnHead = "[FusedPipeline(2, 8, 8)] [Conv2d(4, 3, Stride = 2, Padding = 1, Bias = false)] [BatchNorm] [ReLU] [Flatten] [Linear(5)]";

    private static float[] Filled(int length) => Enumerable.Repeat(Sentinel, length).ToArray();

    private static void AssertUntouched(float[] values) => Assert.All(values, v => Assert.Equal(Sentinel, v));

    [Theory]
    [InlineData(127, 15, 3, "input", "384", "127")]
    [InlineData(384, 14, 3, "output", "15", "14")]
    [InlineData(128, 10, 2, "input", "256", "128")]
    public void Forward_WrongLength_NamesArgumentExpectedAndActual_WritesNothing(int inputLength, int outputLength, int batch, string argument, string expected, string actual)
    {
        var model = ReferenceModel.FromDeclaration(CnnHead);
        float[] output = Filled(outputLength);
        float[] meanBefore = (float[])model.Buffers["1.running_mean"].Data.Clone();

        var e = Assert.Throws<ArgumentException>(() => model.Forward(new float[inputLength], output, batch));

        Assert.Equal(argument, e.ParamName);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains(actual, e.Message, StringComparison.Ordinal);
        AssertUntouched(output);
        Assert.Equal(meanBefore, model.Buffers["1.running_mean"].Data);
        Assert.Throws<InvalidOperationException>(() => model.Backward(new float[5 * batch], Span<float>.Empty));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void BatchBelowOne_Throws_WritesNothing(int batch)
    {
        var model = ReferenceModel.FromDeclaration(CnnHead);
        float[] output = Filled(5);

        var forward = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(new float[128], output, batch));
        var infer = Assert.Throws<ArgumentOutOfRangeException>(() => model.Infer(new float[128], output, batch));
        var forwardDouble = Assert.Throws<ArgumentOutOfRangeException>(() => model.ForwardDouble(new double[128], batch, training: false));

        Assert.Equal("batchSize", forward.ParamName);
        Assert.Equal("batchSize", infer.ParamName);
        Assert.Equal("batch", forwardDouble.ParamName);
        Assert.Contains($"got {batch}", forward.Message, StringComparison.Ordinal);
        AssertUntouched(output);
    }

    [Fact]
    public void Infer_WrongLength_NamesArgument_WritesNothing()
    {
        var model = ReferenceModel.FromDeclaration(CnnHead);
        float[] output = Filled(4);

        var e = Assert.Throws<ArgumentException>(() => model.Infer(new float[128], output, 1));

        Assert.Equal("output", e.ParamName);
        Assert.Contains("5", e.Message, StringComparison.Ordinal);
        AssertUntouched(output);
    }

    [Fact]
    public void Backward_WithoutForward_ThrowsInvalidOperation_WritesNothing()
    {
        var model = ReferenceModel.FromDeclaration(CnnHead);
        float[] gradInput = Filled(128);

        var e = Assert.Throws<InvalidOperationException>(() => model.Backward(new float[5], gradInput));

        Assert.Contains("Forward", e.Message, StringComparison.Ordinal);
        AssertUntouched(gradInput);
        Assert.All(model.Parameters, p => Assert.All(p.Grad, v => Assert.Equal(0f, v)));
        Assert.Throws<InvalidOperationException>(() => model.BackwardDouble(new double[5]));
    }

    [Theory]
    [InlineData(9, 256, "outputGradient", "= 10", "got 9")]
    [InlineData(10, 255, "inputGradient", "= 256", "got 255")]
    public void Backward_WrongLength_NamesArgument_WritesNothing(int outputGradLength, int inputGradLength, string argument, string expected, string actual)
    {
        var model = ReferenceModel.FromDeclaration(CnnHead);
        model.Forward(new float[256], new float[10], 2);
        model.Parameters["4.weight"].Grad[0] = Sentinel;
        float[] gradInput = Filled(inputGradLength);

        var e = Assert.Throws<ArgumentException>(() => model.Backward(new float[outputGradLength], gradInput));

        Assert.Equal(argument, e.ParamName);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains(actual, e.Message, StringComparison.Ordinal);
        AssertUntouched(gradInput);
        Assert.Equal(Sentinel, model.Parameters["4.weight"].Grad[0]);
        Assert.All(model.Parameters["0.weight"].Grad, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData("[FusedPipeline(6)] [Linear(4)] [BatchNorm]", 4)]
    [InlineData("[FusedPipeline(3, 1, 1)] [Conv2d(2, 1)] [BatchNorm]", 2)]
    public void BatchNorm_OneValuePerChannelInTraining_ThrowsNamingTheLayer_WritesNothing(string declaration, int outputLength)
    {
        var model = ReferenceModel.FromDeclaration(declaration);
        float[] output = Filled(outputLength);
        float[] varBefore = (float[])model.Buffers["1.running_var"].Data.Clone();
        float[] input = Enumerable.Range(0, model.InputLength).Select(i => (float)i).ToArray();

        var e = Assert.Throws<InvalidOperationException>(() => model.Forward(input, output, 1));

        Assert.Contains("Layer 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("BatchNorm", e.Message, StringComparison.Ordinal);
        Assert.Contains("batchSize 1", e.Message, StringComparison.Ordinal);
        AssertUntouched(output);
        Assert.Equal(varBefore, model.Buffers["1.running_var"].Data);
        Assert.Throws<InvalidOperationException>(() => model.ForwardDouble(input.Select(v => (double)v).ToArray(), 1, training: true));

        // Inference uses the running statistics and takes a single sample.
        model.Infer(input, output, 1);
        Assert.DoesNotContain(Sentinel, output);
    }

    [Fact]
    public void ForwardDouble_BadState_NamesTheKey()
    {
        var model = ReferenceModel.FromDeclaration(CnnHead);

        var unknown = Assert.Throws<ArgumentException>(() => model.ForwardDouble(new double[128], 1, false, new System.Collections.Generic.Dictionary<string, double[]> { ["9.weight"] = [1] }));
        var wrongLength = Assert.Throws<ArgumentException>(() => model.ForwardDouble(new double[128], 1, false, new System.Collections.Generic.Dictionary<string, double[]> { ["4.bias"] = [1] }));
        var wrongInput = Assert.Throws<ArgumentException>(() => model.ForwardDouble(new double[127], 1, false));

        Assert.Equal("state", unknown.ParamName);
        Assert.Contains("9.weight", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("[5]", wrongLength.Message, StringComparison.Ordinal);
        Assert.Equal("input", wrongInput.ParamName);
    }

    [Theory]
    [InlineData("[FusedPipeline(2, 8, 8)] [Linear(5)]", "Layer 0", "Linear(5)", "[2, 8, 8]")]
    [InlineData("[FusedPipeline(10)] [Conv2d(4, 3)]", "Layer 0", "Conv2d(4, 3)", "[10]")]
    [InlineData("[FusedPipeline(3, 8, 8)] [ReLU] [Conv2d(4, 3, Groups = 2)]", "Layer 1", "Groups = 2", "[3, 8, 8]")]
    [InlineData("[FusedPipeline(3, 4, 4)] [Conv2d(4, 3, Dilation = 2)]", "Layer 0", "Dilation = 2", "[3, 4, 4]")]
    [InlineData("[FusedPipeline(3, 4, 4)] [Conv2d(4, 3, Stride = 2)] [MaxPool2d(2)]", "Layer 1", "MaxPool2d(2)", "[4, 1, 1]")]
    [InlineData("[FusedPipeline(3, 4, 4)] [MaxPool2d(2, Padding = 2)]", "Layer 0", "Padding = 2", "[3, 4, 4]")]
    [InlineData("[FusedPipeline(6, 2, 2)] [GroupNorm(4)]", "Layer 0", "GroupNorm(4)", "[6, 2, 2]")]
    [InlineData("[FusedPipeline(6)] [PReLU(NumParameters = 3)]", "Layer 0", "NumParameters = 3", "[6]")]
    [InlineData("[FusedPipeline(6)] [Flatten] [Dropout(P = 1.5f)]", "Layer 1", "P = 1.5f", "[6]")]
    [InlineData("[FusedPipeline(6, 1, 1)] [InstanceNorm]", "Layer 0", "InstanceNorm", "[6, 1, 1]")]
    [InlineData("[FusedPipeline(6)] [LocalResponseNorm(2)]", "Layer 0", "LocalResponseNorm(2)", "[6]")]
    [InlineData("[FusedPipeline(6)] [BatchNorm] [GlobalAvgPool2d]", "Layer 1", "GlobalAvgPool2d", "[6]")]
    public void InvalidPipeline_ThrowsNamingLayerIndexLayerAndShape(string declaration, string index, string layer, string shape)
    {
        var e = Assert.Throws<ArgumentException>(() => ReferenceModel.FromDeclaration(declaration));

        Assert.Contains(index, e.Message, StringComparison.Ordinal);
        Assert.Contains(layer, e.Message, StringComparison.Ordinal);
        Assert.Contains(shape, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        Assert.Equal("inputShape", Assert.Throws<ArgumentException>(() => new ReferenceModel([3, 4], [])).ParamName);
        Assert.Equal("inputShape", Assert.Throws<ArgumentException>(() => new ReferenceModel([3, 0, 4], [])).ParamName);
        Assert.Equal("layers", Assert.Throws<ArgumentException>(() => new ReferenceModel([3], [new ReLUAttribute(), null!])).ParamName);
        Assert.Throws<ArgumentNullException>(() => new ReferenceModel(null!, []));
        Assert.Throws<ArgumentNullException>(() => ReferenceModel.FromDeclaration(null!));
    }

    [Fact]
    public void UnknownLayerAttribute_ThrowsNotSupportedNamingIt()
    {
        var e = Assert.Throws<NotSupportedException>(() => new ReferenceModel([4], [new ReLUAttribute(), new CustomAttribute()]));

        Assert.Contains("CustomAttribute", e.Message, StringComparison.Ordinal);
        Assert.Contains("Layer 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyPipeline_IsTheIdentity()
    {
        var model = new ReferenceModel([3], []);
        var output = new float[3];
        var gradInput = new float[3];

        model.Forward([1, 2, 3], output, 1);
        model.Backward([4, 5, 6], gradInput);

        Assert.Equal([1f, 2, 3], output);
        Assert.Equal([4f, 5, 6], gradInput);
    }

    private sealed class CustomAttribute : LayerAttribute
    {
    }
}
