using System;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>Parsing the C# attribute text of a declaration.</summary>
public class ReferenceDeclarationTests
{
    [Fact]
    public void Declaration_ParsesPositionalAndNamedArgumentsOfEveryLiteralForm()
    {
        var model = ReferenceModel.FromDeclaration("""
            [FusedPipeline(2, 9, 9)]
            [Conv2d(4, 3, Stride = 2, Padding = 1, Dilation = 1, Groups = 2, Bias = false)]  // a comment
            [BatchNorm(Epsilon = 1e-3f, Momentum = 0.25, Affine = true)]
            [LeakyReLU(NegativeSlope = -0.5f), HardTanh(Min = -2, Max = 2.5F)]
            [FusedOps.Flatten] [LinearAttribute(5, Bias = true)]
            """);

        Assert.Equal([2, 9, 9], model.InputShapeArray);
        Assert.Equal([[4, 5, 5], [4, 5, 5], [4, 5, 5], [4, 5, 5], [100], [5]], model.LayerOutputShapes);
        string text = model.ToString();
        Assert.Contains("Conv2d(4, 3, Stride = 2, Padding = 1, Groups = 2, Bias = false)", text, StringComparison.Ordinal);
        Assert.Contains("BatchNorm(Epsilon = 0.001f, Momentum = 0.25f)", text, StringComparison.Ordinal);
        Assert.Contains("LeakyReLU(NegativeSlope = -0.5f)", text, StringComparison.Ordinal);
        Assert.Contains("HardTanh(Min = -2f, Max = 2.5f)", text, StringComparison.Ordinal);
        Assert.Contains("5: Linear(5) [100] -> [5]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Declaration_EqualsTheAttributeList()
    {
        var parsed = ReferenceModel.FromDeclaration("[FusedPipeline(3)] [Linear(4)] [ELU(Alpha = 0.5f)] [Linear(2, Bias = false)]", seed: 9);
        var built = new ReferenceModel([3], [new LinearAttribute(4), new ELUAttribute { Alpha = 0.5f }, new LinearAttribute(2) { Bias = false }], seed: 9);

        Assert.Equal(built.ToString(), parsed.ToString());
        Assert.All(built.Parameters, p => Assert.Equal(p.Data, parsed.Parameters[p.Name].Data));
        Assert.Equal(built.ForwardDouble([1, 2, 3], 1, true), parsed.ForwardDouble([1, 2, 3], 1, true));
    }

    [Theory]
    [InlineData("[FusedPipeline(3)] [Conv3d(4, 3)]", "Conv3d")]
    [InlineData("[FusedPipeline(3, 8, 8)] [Conv2d(4, 3, Strde = 2)]", "Strde")]
    [InlineData("[FusedPipeline(3, 8, 8)] [Conv2d(4, 3, Stride = 1.5f)]", "Stride")]
    [InlineData("[FusedPipeline(3, 8, 8)] [Conv2d(4, 3, Bias = 1)]", "Bias")]
    [InlineData("[FusedPipeline(3)] [BatchNorm(Affine = 0.5f)]", "Affine")]
    [InlineData("[FusedPipeline(3)] [ReLU(2)]", "ReLU")]
    [InlineData("[FusedPipeline(3)] [Linear]", "outFeatures")]
    [InlineData("[FusedPipeline(3)] [Linear(2.5f)]", "outFeatures")]
    [InlineData("[FusedPipeline(3)] [Linear(Bias = false, 4)]", "Positional argument after a named")]
    [InlineData("[FusedPipeline(3)] [Linear(4, Bias = maybe)]", "maybe")]
    [InlineData("[Linear(4)]", "FusedPipeline")]
    [InlineData("", "FusedPipeline")]
    [InlineData("[FusedPipeline()]", "FusedPipeline")]
    [InlineData("[FusedPipeline(3)] [FusedPipeline(3)]", "more than once")]
    [InlineData("[FusedPipeline(3)] [ReLU", "']'")]
    [InlineData("[FusedPipeline(3)] ReLU", "'['")]
    public void Declaration_Malformed_ThrowsArgumentExceptionNamingTheProblem(string declaration, string named)
    {
        var e = Assert.Throws<ArgumentException>(() => ReferenceModel.FromDeclaration(declaration));

        Assert.Equal("declaration", e.ParamName);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Declaration_Error_GivesTheLine()
    {
        var e = Assert.Throws<ArgumentException>(() => ReferenceModel.FromDeclaration("[FusedPipeline(3)]\n[ReLU]\n[Selu]"));

        Assert.Contains("line 3", e.Message, StringComparison.Ordinal);
        Assert.Contains("SELU", e.Message, StringComparison.Ordinal);   // the list of known layers
    }
}
