using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Save, Add and Concat in the reference: gradients against finite differences (both paths summed
/// where they meet), the projection shortcut against the same arithmetic built from plain layers,
/// state names, and an error for each bad declaration naming the layer, the name and the shapes.
/// </summary>
public class ReferenceBranchTests
{
    public static TheoryData<string, int> Branches() => new()
    {
        // Identity shortcut around Conv → BN → ReLU.
        { """[FusedPipeline(3, 5, 4)] [Save("a")] [Conv2d(3, 3, Padding = 1)] [BatchNorm] [ReLU] [Add("a")]""", 2 },

        // Projection that only changes the channel count (stride 1).
        { """[FusedPipeline(2, 4, 3)] [Save("x")] [Conv2d(5, 3, Padding = 1)] [Add("x", Projection = true)] [Tanh]""", 2 },

        // A branch around a stride-2 block: 6×5 → 3×3, projection stride 2.
        { """[FusedPipeline(2, 6, 5)] [Save("a")] [Conv2d(4, 3, Stride = 2, Padding = 1)] [BatchNorm] [ReLU] [Conv2d(4, 3, Padding = 1)] [BatchNorm] [Add("a", Projection = true)] [ReLU]""", 2 },

        // Concat of channels, then a 1×1 Conv2d that mixes them.
        { """[FusedPipeline(2, 4, 5)] [Save("a")] [Conv2d(3, 3, Padding = 1)] [ELU] [Concat("a")] [Conv2d(2, 1)]""", 2 },

        // Concat of features.
        { """[FusedPipeline(5)] [Save("in")] [Linear(4)] [Tanh] [Concat("in")] [Linear(3)]""", 3 },

        // Two saves in flight, nested; "a" used twice.
        { """[FusedPipeline(3, 4, 4)] [Save("a")] [Conv2d(3, 3, Padding = 1)] [Save("b")] [Sigmoid] [Conv2d(3, 3, Padding = 1)] [Add("b")] [Add("a")] [Concat("a")] [Conv2d(2, 1)]""", 2 },

        // Add after a Linear, the saved tensor rank 1.
        { """[FusedPipeline(6)] [Linear(6)] [Save("h")] [Linear(6)] [BatchNorm] [SiLU] [Linear(6)] [Add("h")] [Linear(2)]""", 4 },

        // Save of the input itself, so the input gradient has two paths.
        { """[FusedPipeline(4)] [Save("x")] [Linear(4)] [Add("x")] [Softplus] [Add("x")]""", 3 },
    };

    [Theory]
    [MemberData(nameof(Branches))]
    public void Branch_TrainingGradientsMatchFiniteDifferences(string declaration, int batch) =>
        GradientCheck.AssertGradientsMatch(Model(declaration), batch, training: true, inputScale: 2);

    [Theory]
    [MemberData(nameof(Branches))]
    public void Branch_EvalGradientsMatchFiniteDifferences(string declaration, int batch) =>
        GradientCheck.AssertGradientsMatch(Model(declaration), batch, training: false, seed: 4, inputScale: 2);

    [Fact]
    public void Add_Identity_AddsTheSavedTensor()
    {
        var model = ReferenceModel.FromDeclaration("""[FusedPipeline(2)] [Save("a")] [Linear(2)] [Add("a")]""");
        float[] w = model.Parameters["1.weight"].Data, b = model.Parameters["1.bias"].Data;
        double[] x = [0.5, -2];

        double[] y = model.ForwardDouble(x, 1, training: false);

        Assert.Equal((w[0] * 0.5) + (w[1] * -2.0) + b[0] + 0.5, y[0], 12);
        Assert.Equal((w[2] * 0.5) + (w[3] * -2.0) + b[1] - 2.0, y[1], 12);
    }

    [Fact]
    public void Concat_PutsTheCurrentChannelsFirstThenTheSaved()
    {
        var model = ReferenceModel.FromDeclaration("""[FusedPipeline(1, 1, 2)] [Save("a")] [Conv2d(2, 1)] [Concat("a")]""");
        double[] w = Normwise.ToDouble(model.Parameters["1.weight"].Data), b = Normwise.ToDouble(model.Parameters["1.bias"].Data);

        double[] y = model.ForwardDouble([3, 4, 5, 6], 2, training: false);

        Assert.Equal([1, 1, 2], model.InputShapeArray);
        Assert.Equal([3, 1, 2], model.OutputShapeArray);
        double[] expected =
        [
            (w[0] * 3) + b[0], (w[0] * 4) + b[0], (w[1] * 3) + b[1], (w[1] * 4) + b[1], 3, 4,
            (w[0] * 5) + b[0], (w[0] * 6) + b[0], (w[1] * 5) + b[1], (w[1] * 6) + b[1], 5, 6,
        ];
        Assert.Equal(expected.Length, y.Length);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(expected[i], y[i], 12);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Projection_EqualsConv1x1WithStrideThenBatchNorm_AddedToTheMainPath(bool training)
    {
        const string Input = "[FusedPipeline(2, 7, 6)]";
        var model = GradientCheck.Randomize(ReferenceModel.FromDeclaration(Input + """ [Save("a")] [Conv2d(3, 3, Stride = 2, Padding = 1)] [Add("a", Projection = true)]"""), seed: 5);
        var main = ReferenceModel.FromDeclaration(Input + " [Conv2d(3, 3, Stride = 2, Padding = 1)]");
        var shortcut = ReferenceModel.FromDeclaration(Input + " [Conv2d(3, 1, Stride = 2, Bias = false)] [BatchNorm]");
        Copy(model, "1.weight", main, "0.weight");
        Copy(model, "1.bias", main, "0.bias");
        Copy(model, "2.proj.weight", shortcut, "0.weight");
        Copy(model, "2.bn.weight", shortcut, "1.weight");
        Copy(model, "2.bn.bias", shortcut, "1.bias");
        Copy(model, "2.bn.running_mean", shortcut, "1.running_mean");
        Copy(model, "2.bn.running_var", shortcut, "1.running_var");
        float[] x = GradientCheck.RandomVector(3 * 84, 1, new Random(6)).Select(v => (float)v).ToArray();

        float[] y = Run(model, x, training), a = Run(main, x, training), b = Run(shortcut, x, training);

        Assert.Equal([3, 4, 3], model.OutputShapeArray);
        for (int i = 0; i < y.Length; i++)
        {
            Assert.InRange(Math.Abs(a[i] + b[i] - y[i]), 0, 1e-5);
        }

        Assert.Equal(shortcut.Buffers["1.running_mean"].Data, model.Buffers["2.bn.running_mean"].Data);
        Assert.Equal(shortcut.Buffers["1.running_var"].Data, model.Buffers["2.bn.running_var"].Data);
    }

    [Fact]
    public void Projection_TrainingWithOneValuePerChannel_ThrowsNamingTheAddLayer_InferRuns()
    {
        var model = ReferenceModel.FromDeclaration("""[FusedPipeline(2, 2, 2)] [Save("a")] [MaxPool2d(2)] [Add("a", Projection = true)]""");
        var output = new float[2];

        var e = Assert.Throws<InvalidOperationException>(() => model.Forward(new float[8], output, 1));

        Assert.Contains("Layer 2 (Add(\"a\", Projection = true)", e.Message, StringComparison.Ordinal);
        Assert.Contains("batchSize 1", e.Message, StringComparison.Ordinal);
        model.Infer(new float[8], output, 1);
        model.Forward(new float[16], new float[4], 2);
    }

    [Fact]
    public void BackwardTwice_OnTheSamePass_GivesTheSameGradients()
    {
        var model = Model("""[FusedPipeline(4)] [Save("x")] [Linear(4)] [Add("x")] [Concat("x")]""");
        model.ForwardDouble([1, -2, 3, 0.5], 1, training: true);
        double[] g = [1, 2, 3, 4, 5, 6, 7, 8];

        (double[] first, _) = model.BackwardDouble(g);
        (double[] second, _) = model.BackwardDouble(g);

        Assert.Equal(first, second);
    }

    [Fact]
    public void StateDict_ProjectionOwnsProjAndBnKeys_OtherBranchLayersHaveNone()
    {
        var model = ReferenceModel.FromDeclaration(
            """[FusedPipeline(4, 8, 8)] [Save("a")] [Conv2d(6, 3, Stride = 2, Padding = 1)] [Add("a", Projection = true)] [Save("b")] [Add("b")] [Concat("b")]""");

        Assert.Equal(["1.weight", "1.bias", "2.proj.weight", "2.bn.weight", "2.bn.bias"], model.Parameters.Names);
        Assert.Equal([[6, 4, 3, 3], [6], [6, 4, 1, 1], [6], [6]], model.Parameters.Select(p => p.Shape));
        Assert.Equal(["2.bn.running_mean", "2.bn.running_var"], model.Buffers.Names);
        Assert.Equal([[4, 8, 8], [6, 4, 4], [6, 4, 4], [6, 4, 4], [6, 4, 4], [12, 4, 4]], model.LayerOutputShapes);

        // PyTorch's defaults: the 1×1 weight from U(±1/√C_saved), BatchNorm γ = 1, β = 0, mean 0, variance 1.
        float[] proj = model.Parameters["2.proj.weight"].Data;
        Assert.All(proj, v => Assert.InRange(Math.Abs(v), 0f, 0.5f));
        Assert.True(proj.Distinct().Count() > 20, "the projection weight is drawn, not constant");
        Assert.All(model.Parameters["2.bn.weight"].Data, v => Assert.Equal(1f, v));
        Assert.All(model.Parameters["2.bn.bias"].Data, v => Assert.Equal(0f, v));
        Assert.All(model.Buffers["2.bn.running_mean"].Data, v => Assert.Equal(0f, v));
        Assert.All(model.Buffers["2.bn.running_var"].Data, v => Assert.Equal(1f, v));
    }

    public static TheoryData<string, string[]> BadDeclarations() => new()
    {
        // Unknown name: the layer, the name, the shape and the names that are saved.
        { """[FusedPipeline(4)] [Save("a")] [Linear(4)] [Add("b")]""", ["Layer 2", "Add(\"b\")", "\"b\"", "[4]", "saved names: \"a\""] },
        { """[FusedPipeline(4)] [Concat("a")]""", ["Layer 0", "\"a\"", "no [Save(...)]"] },

        // A name saved twice.
        { """[FusedPipeline(2, 3, 3)] [Save("a")] [ReLU] [MaxPool2d(3)] [Save("a")]""", ["Layer 3", "\"a\"", "already saved by layer 0", "[2, 3, 3]", "[2, 1, 1]"] },

        // Use before save.
        { """[FusedPipeline(4)] [Add("a")] [Save("a")]""", ["Layer 0", "\"a\"", "before it is saved", "layer 1"] },

        // Shape mismatches, both shapes named.
        { """[FusedPipeline(4)] [Save("a")] [Linear(3)] [Add("a")]""", ["Layer 2", "\"a\"", "layer 0", "[4]", "[3]"] },
        { """[FusedPipeline(2, 4, 4)] [Save("a")] [Conv2d(3, 3, Padding = 1)] [Add("a")]""", ["Layer 2", "[2, 4, 4]", "[3, 4, 4]", "Projection = true"] },
        { """[FusedPipeline(2, 4, 4)] [Save("a")] [MaxPool2d(2)] [Concat("a")]""", ["Layer 2", "\"a\"", "[2, 4, 4]", "[2, 2, 2]"] },
        { """[FusedPipeline(2, 2, 2)] [Save("a")] [Flatten] [Concat("a")]""", ["Layer 2", "[2, 2, 2]", "[8]"] },

        // Projections no stride can make.
        { """[FusedPipeline(2, 4, 4)] [Save("a")] [Conv2d(3, 3, Padding = 2)] [Add("a", Projection = true)]""", ["Layer 2", "\"a\"", "[2, 4, 4]", "[3, 6, 6]", "no stride"] },
        { """[FusedPipeline(1, 9, 4)] [Save("a")] [Conv2d(2, 3)] [Add("a", Projection = true)]""", ["Layer 2", "[1, 9, 4]", "[2, 7, 2]", "no stride"] },
        { """[FusedPipeline(4)] [Save("a")] [Linear(3)] [Add("a", Projection = true)]""", ["Layer 2", "[4]", "[3]", "rank 3"] },

        // Names must be non-empty.
        { """[FusedPipeline(4)] [Save("")]""", ["Layer 0", "non-empty"] },
    };

    [Theory]
    [MemberData(nameof(BadDeclarations))]
    public void BadBranch_ThrowsNamingTheLayerTheNameAndTheShapes(string declaration, string[] named)
    {
        var e = Assert.Throws<ArgumentException>(() => ReferenceModel.FromDeclaration(declaration));

        Assert.Equal("layers", e.ParamName);
        Assert.All(named, text => Assert.Contains(text, e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void BadBranch_FromAttributes_NullNameIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new ReferenceModel([4], [new SaveAttribute(null!)]));

        Assert.Contains("Layer 0", e.Message, StringComparison.Ordinal);
        Assert.Contains("null", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Declaration_StringArguments_ParseWithEscapesAndPrintBack()
    {
        var model = ReferenceModel.FromDeclaration(
            """[FusedPipeline(3)] [Save("a \"b\"\\c")] [Linear(3)] [FusedOps.AddAttribute("a \"b\"\\c", Projection = false)] [Concat("a \"b\"\\c")]""");
        var built = new ReferenceModel([3], [new SaveAttribute("a \"b\"\\c"), new LinearAttribute(3), new AddAttribute("a \"b\"\\c"), new ConcatAttribute("a \"b\"\\c")]);

        Assert.Equal(built.ToString(), model.ToString());
        Assert.Contains("""0: Save("a \"b\"\\c") [3] -> [3]""", model.ToString(), StringComparison.Ordinal);
        Assert.Contains("""2: Add("a \"b\"\\c") [3] -> [3]""", model.ToString(), StringComparison.Ordinal);
        Assert.Contains("""Add("p", Projection = true)""", ReferenceModel.FromDeclaration("""[FusedPipeline(1, 2, 2)] [Save("p")] [Add("p", Projection = true)]""").ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[FusedPipeline(3)] [Save(3)]""", "Argument 'name' of 'Save' is a string, got '3'")]
    [InlineData("""[FusedPipeline(3)] [Linear("3")]""", "Argument 'outFeatures' of 'Linear' is an int, got '\"3\"'")]
    [InlineData("""[FusedPipeline(3)] [Save("a)]""", "Unterminated string")]
    [InlineData("""[FusedPipeline(3)] [Save("a\q")]""", "escape sequence '\\q'")]
    [InlineData("""[FusedPipeline(3)] [Save("a")] [Add("a", Projection = 1)]""", "Argument 'Projection' of 'Add' is a bool")]
    [InlineData("""[FusedPipeline(3)] [Save]""", "takes (name)")]
    public void Declaration_BadStringArgument_NamesTheProblem(string declaration, string named)
    {
        var e = Assert.Throws<ArgumentException>(() => ReferenceModel.FromDeclaration(declaration));

        Assert.Equal("declaration", e.ParamName);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    private static ReferenceModel Model(string declaration) =>
        GradientCheck.Randomize(ReferenceModel.FromDeclaration(declaration, seed: 7), seed: declaration.Length);

    private static void Copy(ReferenceModel from, string fromName, ReferenceModel to, string toName)
    {
        Parameter source = from.Parameters.TryGet(fromName, out Parameter p) ? p : from.Buffers[fromName];
        Parameter target = to.Parameters.TryGet(toName, out Parameter q) ? q : to.Buffers[toName];
        Assert.Equal(source.Shape, target.Shape);
        source.Data.CopyTo(target.Data, 0);
    }

    private static float[] Run(ReferenceModel model, float[] input, bool training)
    {
        int batch = input.Length / model.InputLength;
        var output = new float[batch * model.OutputLength];
        if (training)
        {
            model.Forward(input, output, batch);
        }
        else
        {
            model.Infer(input, output, batch);
        }

        return output;
    }
}
