using System;
using System.Linq;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>Shapes, state-dict names and order, default initialisation and determinism.</summary>
public class ReferenceStateTests
{
    private const string CnnHead = "[FusedPipeline(2, 8, 8)]\n[Conv2d(4, 3, Stride = 2, Padding = 1, Bias = false)]\n[BatchNorm]\n[ReLU]\n[Flatten]\n[Linear(5)]";

    [Fact]
    public void ShapeInference_MatchesPyTorchFormulas()
    {
        var model = ReferenceModel.FromDeclaration(CnnHead);

        // Conv: ⌊(8 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1 = 4.
        Assert.Equal([[4, 4, 4], [4, 4, 4], [4, 4, 4], [64], [5]], model.LayerOutputShapes);
        Assert.Equal([2, 8, 8], model.InputShapeArray);
        Assert.Equal([5], model.OutputShapeArray);
        Assert.Equal(128, model.InputLength);
        Assert.Equal(5, model.OutputLength);
    }

    [Theory]
    [InlineData("[FusedPipeline(3, 7, 7)] [Conv2d(5, 3, Stride = 2, Padding = 1, Dilation = 2)]", new[] { 5, 3, 3 })]
    [InlineData("[FusedPipeline(3, 10, 12)] [Conv2d(8, 3, Padding = 1)]", new[] { 8, 10, 12 })]
    [InlineData("[FusedPipeline(3, 11, 9)] [Conv2d(2, 4, Stride = 3)]", new[] { 2, 3, 2 })]
    [InlineData("[FusedPipeline(2, 7, 7)] [MaxPool2d(3, Stride = 2, Padding = 1)]", new[] { 2, 4, 4 })]
    [InlineData("[FusedPipeline(2, 7, 5)] [MaxPool2d(2)]", new[] { 2, 3, 2 })]
    [InlineData("[FusedPipeline(2, 5, 5)] [AvgPool2d(2, Stride = 1)]", new[] { 2, 4, 4 })]
    [InlineData("[FusedPipeline(6, 5, 3)] [GlobalAvgPool2d]", new[] { 6, 1, 1 })]
    [InlineData("[FusedPipeline(2, 3, 4)] [Flatten]", new[] { 24 })]
    [InlineData("[FusedPipeline(9)] [Flatten]", new[] { 9 })]
    [InlineData("[FusedPipeline(4, 3, 3)] [LayerNorm] [GroupNorm(2)] [InstanceNorm] [LocalResponseNorm(3)] [Dropout]", new[] { 4, 3, 3 })]
    public void ShapeInference_OutputShape(string declaration, int[] expected) =>
        Assert.Equal(expected, ReferenceModel.FromDeclaration(declaration).OutputShapeArray);

    [Fact]
    public void StateDict_NamesAndOrderFollowNnSequential()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(3, 6, 6)] [Conv2d(4, 3)] [BatchNorm] [ReLU] [Flatten] [Linear(5)]");

        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"], model.Parameters.Names);
        Assert.Equal(["1.running_mean", "1.running_var"], model.Buffers.Names);
        Assert.Equal([[4, 3, 3, 3], [4], [4], [4], [5, 64], [5]], model.Parameters.Select(p => p.Shape));
        Assert.All(model.Parameters, p => Assert.True(p.HasGrad));
        Assert.All(model.Buffers, b => Assert.False(b.HasGrad));
    }

    [Fact]
    public void StateDict_OptionalTensorsFollowTheArguments()
    {
        var model = ReferenceModel.FromDeclaration(
            "[FusedPipeline(4, 3, 3)] [Conv2d(6, 1, Groups = 2, Bias = false)] [BatchNorm(Affine = false)] [PReLU(NumParameters = 6)] [GroupNorm(3)] [InstanceNorm] [InstanceNorm(Affine = true)] [LayerNorm] [Flatten] [Linear(2, Bias = false)]");

        Assert.Equal(["0.weight", "2.weight", "3.weight", "3.bias", "5.weight", "5.bias", "6.weight", "6.bias", "8.weight"], model.Parameters.Names);
        Assert.Equal(["1.running_mean", "1.running_var"], model.Buffers.Names);
        Assert.Equal([6, 2, 1, 1], model.Parameters["0.weight"].Shape);
        Assert.Equal([6], model.Parameters["2.weight"].Shape);
        Assert.Equal([6, 3, 3], model.Parameters["6.weight"].Shape);
    }

    [Fact]
    public void DefaultInitialisation_DrawsFanInUniformInStateDictOrderAndNothingElse()
    {
        var model = ReferenceModel.FromDeclaration(
            "[FusedPipeline(2, 5, 5)] [Conv2d(4, 3, Groups = 2)] [BatchNorm] [PReLU(Init = 0.3f)] [Dropout] [Flatten] [Linear(3, Bias = false)] [LayerNorm] [Linear(2)]",
            seed: 42);
        var rng = new InitRandom(42);
        float[] Fill(int length, int fanIn)
        {
            var values = new float[length];
            rng.FillFanIn(values, fanIn);
            return values;
        }

        Assert.Equal(Fill(4 * 1 * 3 * 3, 1 * 3 * 3), model.Parameters["0.weight"].Data);
        Assert.Equal(Fill(4, 9), model.Parameters["0.bias"].Data);
        Assert.Equal(Fill(3 * 36, 36), model.Parameters["5.weight"].Data);
        Assert.Equal(Fill(2 * 3, 3), model.Parameters["7.weight"].Data);
        Assert.Equal(Fill(2, 3), model.Parameters["7.bias"].Data);
        Assert.All(model.Parameters["1.weight"].Data, v => Assert.Equal(1f, v));
        Assert.All(model.Parameters["1.bias"].Data, v => Assert.Equal(0f, v));
        Assert.All(model.Buffers["1.running_mean"].Data, v => Assert.Equal(0f, v));
        Assert.All(model.Buffers["1.running_var"].Data, v => Assert.Equal(1f, v));
        Assert.Equal([0.3f], model.Parameters["2.weight"].Data);
        Assert.Equal(Enumerable.Repeat(1f, 3), model.Parameters["6.weight"].Data);
        Assert.All(model.Parameters["0.weight"].Data, v => Assert.InRange(Math.Abs(v), 0, 1 / 3f));
    }

    [Fact]
    public void Seed_SameGivesSameParameters_DifferentGivesDifferent()
    {
        var a = ReferenceModel.FromDeclaration(CnnHead, seed: 3);
        var b = ReferenceModel.FromDeclaration(CnnHead, seed: 3);
        var c = ReferenceModel.FromDeclaration(CnnHead, seed: 4);

        Assert.All(a.Parameters, p => Assert.Equal(p.Data, b.Parameters[p.Name].Data));
        Assert.NotEqual(a.Parameters["0.weight"].Data, c.Parameters["0.weight"].Data);
        Assert.NotEqual(a.Parameters["4.weight"].Data, c.Parameters["4.weight"].Data);
        Assert.Equal(0, new ReferenceModel([2, 8, 8], [new Conv2dAttribute(4, 3) { Stride = 2, Padding = 1, Bias = false }, new BatchNormAttribute(), new ReLUAttribute(), new FlattenAttribute(), new LinearAttribute(5)]).Seed);
    }

    [Fact]
    public void FloatForward_IsTheDoubleForwardRounded_AndBackwardAccumulates()
    {
        var model = GradientCheck.Randomize(ReferenceModel.FromDeclaration(CnnHead), 5);
        var random = new Random(6);
        float[] x = GradientCheck.RandomVector(3 * 128, 1, random).Select(v => (float)v).ToArray();
        float[] g = GradientCheck.RandomVector(3 * 5, 1, random).Select(v => (float)v).ToArray();
        double[] expected = model.ForwardDouble(x.Select(v => (double)v).ToArray(), 3, training: true);
        (double[] expectedGradInput, var expectedGrads) = model.BackwardDouble(g.Select(v => (double)v).ToArray());
        var y = new float[15];
        var gradInput = new float[3 * 128];

        model.Forward(x, y, 3);
        model.Backward(g, gradInput);

        Assert.Equal(expected.Select(v => (float)v), y);
        Assert.Equal(expectedGradInput.Select(v => (float)v), gradInput);
        Assert.All(model.Parameters, p => Assert.Equal(expectedGrads[p.Name].Select(v => (float)v), p.Grad));

        // A second Backward adds the same gradient again; an empty input gradient is skipped.
        model.Backward(g, Span<float>.Empty);
        Assert.All(model.Parameters, p =>
            ReferenceTests.AssertClose(expectedGrads[p.Name].Select(v => 2 * v).ToArray(), p.Grad.Select(v => (double)v).ToArray(), 1e-6 * (1 + Normwise.MaxAbs(expectedGrads[p.Name]))));

        model.ZeroGrad();
        Assert.All(model.Parameters, p => Assert.All(p.Grad, v => Assert.Equal(0f, v)));
    }

    [Fact]
    public void Backward_UsesTheParametersOfItsForward()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(3)] [Linear(2)]");
        model.Forward([1, 2, 3], new float[2], 1);
        float[] before = (float[])model.Parameters["0.weight"].Data.Clone();
        var gradInput = new float[3];

        Array.Fill(model.Parameters["0.weight"].Data, 100f);
        model.Backward([1, 1], gradInput);

        Assert.Equal([before[0] + before[3], before[1] + before[4], before[2] + before[5]], gradInput);
    }

    [Fact]
    public void Infer_ChangesNoState_AndToStringListsTheLayers()
    {
        var model = ReferenceModel.FromDeclaration(CnnHead);
        float[] meanBefore = (float[])model.Buffers["1.running_mean"].Data.Clone();

        model.Infer(new float[128], new float[5], 1);

        Assert.Equal(meanBefore, model.Buffers["1.running_mean"].Data);
        Assert.Throws<InvalidOperationException>(() => model.Backward(new float[5], Span<float>.Empty));
        string text = model.ToString();
        Assert.Contains("1: BatchNorm [4, 4, 4] -> [4, 4, 4]", text, StringComparison.Ordinal);
        Assert.Contains("0: Conv2d(4, 3, Stride = 2, Padding = 1, Bias = false) [2, 8, 8] -> [4, 4, 4]", text, StringComparison.Ordinal);
    }
}
