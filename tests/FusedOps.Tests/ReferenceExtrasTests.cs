using System;
using System.Linq;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The seeds' extras in the reference: WeightNorm, SpectralNorm and CosineNorm on Linear/Conv2d,
/// Maxout, SwitchableNorm and BipolarReLU. Gradients against finite differences, state names and
/// shapes, default initialisation, known values and the combination errors.
/// </summary>
public class ReferenceExtrasTests
{
    public static TheoryData<string, int> Extras() => new()
    {
        { "[FusedPipeline(7)] [Linear(5, WeightNorm = true)]", 3 },
        { "[FusedPipeline(7)] [Linear(4, WeightNorm = true, Bias = false)] [Tanh] [Linear(2, WeightNorm = true)]", 2 },
        { "[FusedPipeline(3, 5, 4)] [Conv2d(4, 3, Padding = 1, WeightNorm = true)]", 2 },
        { "[FusedPipeline(4, 5, 4)] [Conv2d(4, 3, Stride = 2, Groups = 2, WeightNorm = true, Bias = false)] [BatchNorm]", 2 },
        { "[FusedPipeline(7)] [Linear(5, CosineNorm = true)] [Linear(3)]", 3 },
        { "[FusedPipeline(6)] [Linear(4)] [Linear(5, CosineNorm = true)]", 2 },
        { "[FusedPipeline(7)] [Linear(9)] [Maxout(3)] [Linear(2)]", 3 },
        { "[FusedPipeline(4, 3, 3)] [Conv2d(6, 1)] [Maxout(2)] [Conv2d(2, 3)]", 2 },
        { "[FusedPipeline(5)] [Linear(4)] [Maxout(1)]", 2 },
        { "[FusedPipeline(3, 3, 4)] [SwitchableNorm]", 2 },
        { "[FusedPipeline(2, 4, 3)] [Conv2d(4, 3, Padding = 1)] [SwitchableNorm(Epsilon = 0.01f, Momentum = 0.3f)] [Sigmoid] [Flatten] [Linear(2)]", 3 },
        { "[FusedPipeline(1, 2, 3)] [SwitchableNorm]", 1 },
        { "[FusedPipeline(7)] [Linear(9)] [BipolarReLU] [Linear(4)]", 3 },
        { "[FusedPipeline(3, 2, 2)] [Conv2d(5, 1)] [BipolarReLU] [Conv2d(2, 1)]", 2 },
    };

    public static TheoryData<string> SpectralNorms() => new()
    {
        "[FusedPipeline(7)] [Linear(5, SpectralNorm = true)]",
        "[FusedPipeline(6)] [Linear(3, SpectralNorm = true, Bias = false)] [Tanh] [Linear(4, SpectralNorm = true)]",
        "[FusedPipeline(4, 5, 4)] [Conv2d(6, 3, Padding = 1, Groups = 2, SpectralNorm = true)]",
    };

    [Theory]
    [MemberData(nameof(Extras))]
    public void Extra_TrainingGradientsMatchFiniteDifferences(string declaration, int batch) =>
        GradientCheck.AssertGradientsMatch(Model(declaration), batch, training: true, inputScale: 2);

    [Theory]
    [MemberData(nameof(Extras))]
    public void Extra_EvalGradientsMatchFiniteDifferences(string declaration, int batch) =>
        GradientCheck.AssertGradientsMatch(Model(declaration), batch, training: false, seed: 5, inputScale: 2);

    /// <summary>
    /// In eval u and v are constants, so finite differences see exactly what PyTorch
    /// differentiates (in training they would also see u and v move with the weight, which PyTorch
    /// does not differentiate; <see cref="ReferenceSpectralNormTests"/> covers training).
    /// </summary>
    [Theory]
    [MemberData(nameof(SpectralNorms))]
    public void SpectralNorm_EvalGradientsMatchFiniteDifferences(string declaration) =>
        GradientCheck.AssertGradientsMatch(ReferenceSpectralNormTests.Converged(Model(declaration)), batch: 2, training: false, seed: 6, inputScale: 2);

    [Theory]
    [InlineData("[FusedPipeline(7)] [Linear(5, WeightNorm = true)]", new[] { "0.bias", "0.weight_g", "0.weight_v" }, new[] { "[5]", "[5, 1]", "[5, 7]" }, new string[0])]
    [InlineData("[FusedPipeline(7)] [Linear(5, WeightNorm = true, Bias = false)]", new[] { "0.weight_g", "0.weight_v" }, new[] { "[5, 1]", "[5, 7]" }, new string[0])]
    [InlineData("[FusedPipeline(3, 5, 5)] [Conv2d(4, 3, WeightNorm = true)]", new[] { "0.bias", "0.weight_g", "0.weight_v" }, new[] { "[4]", "[4, 1, 1, 1]", "[4, 3, 3, 3]" }, new string[0])]
    [InlineData("[FusedPipeline(7)] [Linear(5, SpectralNorm = true)]", new[] { "0.bias", "0.weight_orig" }, new[] { "[5]", "[5, 7]" }, new[] { "0.weight_u [5]", "0.weight_v [7]" })]
    [InlineData("[FusedPipeline(4, 5, 5)] [Conv2d(6, 3, Groups = 2, SpectralNorm = true, Bias = false)]", new[] { "0.weight_orig" }, new[] { "[6, 2, 3, 3]" }, new[] { "0.weight_u [6]", "0.weight_v [18]" })]
    [InlineData("[FusedPipeline(7)] [Linear(5, CosineNorm = true)]", new[] { "0.weight" }, new[] { "[5, 7]" }, new string[0])]
    [InlineData("[FusedPipeline(4, 2, 3)] [SwitchableNorm]", new[] { "0.weight", "0.bias", "0.mean_weight", "0.var_weight" }, new[] { "[4]", "[4]", "[3]", "[3]" }, new[] { "0.running_mean [4]", "0.running_var [4]" })]
    [InlineData("[FusedPipeline(6, 2, 3)] [Maxout(3)] [BipolarReLU]", new string[0], new string[0], new string[0])]
    public void StateDict_NamesShapesAndOrderFollowPyTorch(string declaration, string[] names, string[] shapes, string[] buffers)
    {
        var model = ReferenceModel.FromDeclaration(declaration);

        Assert.Equal(names, model.Parameters.Names);
        Assert.Equal(shapes, model.Parameters.Select(p => p.ShapeText));
        Assert.Equal(buffers, model.Buffers.Select(b => b.ToString()));
        Assert.All(model.Parameters, p => Assert.True(p.HasGrad));
    }

    [Theory]
    [InlineData("[FusedPipeline(6)] [Linear(5{0})]")]
    [InlineData("[FusedPipeline(3, 5, 5)] [Conv2d(4, 3, Groups = 1{0})]")]
    public void Initialisation_DrawsAsThePlainLayer_WeightNormStartsAtThePlainWeight_SpectralNormThenDrawsUnitUAndV(string template)
    {
        var plain = ReferenceModel.FromDeclaration(string.Format(template, string.Empty), seed: 11);
        var weightNorm = ReferenceModel.FromDeclaration(string.Format(template, ", WeightNorm = true"), seed: 11);
        var spectral = ReferenceModel.FromDeclaration(string.Format(template, ", SpectralNorm = true"), seed: 11);
        float[] w = plain.Parameters["0.weight"].Data;
        int rows = plain.Parameters["0.weight"].Shape[0], columns = w.Length / rows;

        Assert.Equal(plain.Parameters["0.bias"].Data, weightNorm.Parameters["0.bias"].Data);
        Assert.Equal(w, weightNorm.Parameters["0.weight_v"].Data);
        for (int r = 0; r < rows; r++)
        {
            double norm = Math.Sqrt(w.Skip(r * columns).Take(columns).Sum(v => (double)v * v));
            Assert.Equal((float)norm, weightNorm.Parameters["0.weight_g"].Data[r]);
        }

        Assert.Equal(plain.Parameters["0.bias"].Data, spectral.Parameters["0.bias"].Data);
        Assert.Equal(w, spectral.Parameters["0.weight_orig"].Data);
        var random = new InitRandom(11);
        random.FillFanIn(new float[w.Length + rows], 1);
        float[] u = new float[rows], v = new float[columns];
        random.FillUnitVector(u);
        random.FillUnitVector(v);
        Assert.Equal(u, spectral.Buffers["0.weight_u"].Data);
        Assert.Equal(v, spectral.Buffers["0.weight_v"].Data);
        Assert.Equal(1, Math.Sqrt(u.Sum(x => (double)x * x)), 6);
        Assert.Equal(1, Math.Sqrt(v.Sum(x => (double)x * x)), 6);
        Assert.True(u.Distinct().Count() == rows && v.Distinct().Count() == columns, "u and v are drawn, not constant");

        // Same effective weight, so the same output.
        double[] x = GradientCheck.RandomVector(2 * plain.InputLength, 1, new Random(3));
        double[] expected = plain.ForwardDouble(x, 2, training: false);
        double[] actual = weightNorm.ForwardDouble(x, 2, training: false);
        Assert.InRange(Normwise.MaxAbsDifference(actual, expected), 0, 1e-6);
    }

    [Fact]
    public void WeightNorm_IsGTimesVOverItsRowNorm()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(2)] [Linear(1, WeightNorm = true, Bias = false)]");
        model.Parameters["0.weight_g"].Data[0] = 10;
        model.Parameters["0.weight_v"].Data[0] = 3;
        model.Parameters["0.weight_v"].Data[1] = -4;

        // w = 10·(3, −4)/5 = (6, −8).
        Assert.Equal([(6 * 0.5) - (8 * 2.0)], model.ForwardDouble([0.5, 2], 1, training: true));
    }

    [Fact]
    public void CosineNorm_IsTheCosineOfWeightRowAndInput_ScaleFreeAndWithoutBias()
    {
        var model = GradientCheck.Randomize(ReferenceModel.FromDeclaration("[FusedPipeline(3)] [Linear(2, CosineNorm = true)]"), seed: 2);
        float[] w = model.Parameters["0.weight"].Data;
        double[] x = [0.3, -1.2, 2];

        double[] y = model.ForwardDouble(x, 1, training: false);
        double[] scaled = model.ForwardDouble(x.Select(v => v * 7).ToArray(), 1, training: true);

        double expected = ((w[3] * 0.3) + (w[4] * -1.2) + (w[5] * 2.0))
            / (Math.Sqrt(((double)w[3] * w[3]) + ((double)w[4] * w[4]) + ((double)w[5] * w[5])) * Math.Sqrt(0.09 + 1.44 + 4));
        Assert.Equal(expected, y[1], 12);
        Assert.Equal(y[0], scaled[0], 12);
        Assert.Equal(y[1], scaled[1], 12);
        Assert.Equal(["0.weight"], model.Parameters.Names);
    }

    [Fact]
    public void Maxout_TakesTheMaxOfEachRun_FirstMaxOnTies_NaNWins_GradientToTheArgMax()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(6)] [Maxout(2)]");

        double[] y = model.ForwardDouble([1, 3, 2, 2, -5, double.NaN], 1, training: true);
        (double[] gx, _) = model.BackwardDouble([10, 20, 30]);

        Assert.Equal([3], model.OutputShapeArray);
        Assert.Equal(3, y[0]);
        Assert.Equal(2, y[1]);
        Assert.True(double.IsNaN(y[2]));
        Assert.Equal([0, 10, 20, 0, 0, 30], gx);
    }

    [Fact]
    public void Maxout_OnChannels_ComparesTheSamePositionOfEachChannel()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(4, 1, 2)] [Maxout(2)]");

        double[] y = model.ForwardDouble([1, 8, 5, 2, 0, 0, -1, 9], 1, training: false);

        Assert.Equal([2, 1, 2], model.OutputShapeArray);
        Assert.Equal([5, 8, 0, 9], y);
    }

    [Fact]
    public void BipolarReLU_IsReLUOnEvenChannelsAndMinusReLUOfMinusXOnOdd()
    {
        var features = ReferenceModel.FromDeclaration("[FusedPipeline(4)] [BipolarReLU]");
        var channels = ReferenceModel.FromDeclaration("[FusedPipeline(2, 1, 2)] [BipolarReLU]");

        Assert.Equal([0, -1, 2, 0], features.ForwardDouble([-1, -1, 2, 2], 1, training: false));
        Assert.Equal([0, 3, -2, 0], channels.ForwardDouble([-1, 3, -2, 4], 1, training: true));
        (double[] gx, _) = channels.BackwardDouble([1, 1, 1, 1]);
        Assert.Equal([0, 1, 1, 0], gx);
    }

    [Theory]
    [InlineData("[FusedPipeline(4)] [ReLU] [Linear(3, WeightNorm = true, SpectralNorm = true)]", new[] { "Layer 1", "WeightNorm = true and SpectralNorm = true", "at most one" })]
    [InlineData("[FusedPipeline(4)] [Linear(3, CosineNorm = true, WeightNorm = true)]", new[] { "Layer 0", "WeightNorm = true and CosineNorm = true" })]
    [InlineData("[FusedPipeline(4)] [Linear(3, SpectralNorm = true, CosineNorm = true)]", new[] { "Layer 0", "SpectralNorm = true and CosineNorm = true" })]
    [InlineData("[FusedPipeline(2, 4, 4)] [Conv2d(3, 3, WeightNorm = true, SpectralNorm = true)]", new[] { "Layer 0", "WeightNorm = true and SpectralNorm = true", "[2, 4, 4]" })]
    [InlineData("[FusedPipeline(8)] [Maxout(3)]", new[] { "Layer 0", "Maxout(3)", "pieces = 3 must divide the 8", "[8]" })]
    [InlineData("[FusedPipeline(8)] [Maxout(0)]", new[] { "Layer 0", "at least 1, got 0" })]
    [InlineData("[FusedPipeline(8)] [SwitchableNorm]", new[] { "Layer 0", "rank-3", "[8]" })]
    public void BadOption_ThrowsNamingTheLayerAndTheProblem(string declaration, string[] named)
    {
        var e = Assert.Throws<ArgumentException>(() => ReferenceModel.FromDeclaration(declaration));

        Assert.Equal("layers", e.ParamName);
        Assert.All(named, text => Assert.Contains(text, e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void CosineNorm_OnConv2d_IsNotAnArgumentOfConv2d()
    {
        var e = Assert.Throws<ArgumentException>(() => ReferenceModel.FromDeclaration("[FusedPipeline(2, 4, 4)] [Conv2d(3, 3, CosineNorm = true)]"));

        Assert.Equal("declaration", e.ParamName);
        Assert.Contains("'Conv2d' has no argument 'CosineNorm'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SwitchableNorm_TrainingWithOneValuePerChannel_ThrowsAsBatchNorm()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(3, 1, 1)] [SwitchableNorm]");

        var e = Assert.Throws<InvalidOperationException>(() => model.Forward(new float[3], new float[3], 1));

        Assert.Contains("Layer 0 (SwitchableNorm)", e.Message, StringComparison.Ordinal);
        model.Infer(new float[3], new float[3], 1);
    }

    [Fact]
    public void Describe_PrintsTheNewArguments()
    {
        string text = ReferenceModel.FromDeclaration(
            "[FusedPipeline(4, 4, 4)] [Conv2d(4, 3, WeightNorm = true)] [Maxout(2)] [SwitchableNorm(Momentum = 0.2f)] [BipolarReLU] [Flatten] [Linear(3, SpectralNorm = true)] [Linear(2, CosineNorm = true)]").ToString();

        Assert.Contains("Conv2d(4, 3, WeightNorm = true)", text, StringComparison.Ordinal);
        Assert.Contains("1: Maxout(2) [4, 2, 2] -> [2, 2, 2]", text, StringComparison.Ordinal);
        Assert.Contains("SwitchableNorm(Momentum = 0.2f)", text, StringComparison.Ordinal);
        Assert.Contains("3: BipolarReLU", text, StringComparison.Ordinal);
        Assert.Contains("Linear(3, SpectralNorm = true)", text, StringComparison.Ordinal);
        Assert.Contains("Linear(2, CosineNorm = true)", text, StringComparison.Ordinal);
    }

    private static ReferenceModel Model(string declaration) =>
        GradientCheck.Randomize(ReferenceModel.FromDeclaration(declaration, seed: 7), seed: declaration.Length);
}
