using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// [Save]/[Add]/[Concat] mistakes are one FOPS error on the offending attribute, naming the name and both
/// shapes where shapes are the problem; nothing is generated and the user's code still compiles.
/// </summary>
public sealed class BranchDiagnosticsTests
{
    private const string Prelude = "using FusedOps;\n\n";

    [Fact]
    public void UnknownName_FOPS0016_ListsTheSavedNames()
    {
        Diagnostic d = AssertRejected("[FusedPipeline(4)]\n[Save(\"a\")]\n[Linear(4)]\n[Add(\"b\")]\npublic partial class Net { }", "FOPS0016", "Add(\"b\")");
        Assert.Contains("\"b\"", Message(d));
        Assert.Contains("saved names: \"a\"", Message(d));
    }

    [Fact]
    public void UnknownName_NoSaveAtAll_FOPS0016_SaysSo()
    {
        Diagnostic d = AssertRejected("[FusedPipeline(4)]\n[Linear(4)]\n[Concat(\"z\")]\npublic partial class Net { }", "FOPS0016", "Concat(\"z\")");
        Assert.Contains("no [Save(...)]", Message(d));
    }

    [Fact]
    public void SavedTwice_FOPS0017_OnTheSecondSave()
    {
        Diagnostic d = AssertRejected("[FusedPipeline(4)]\n[Save(\"a\")]\n[Linear(4)]\n[Save(\"a\")]\n[Add(\"a\")]\npublic partial class Net { }", "FOPS0017", "Save(\"a\")");
        Assert.Contains("layer 0 already saved", Message(d));
        Assert.Equal(5, d.Location.GetLineSpan().StartLinePosition.Line); // the second Save, not the first
    }

    [Fact]
    public void UseBeforeSave_FOPS0018_NamesTheSavingLayer()
    {
        Diagnostic d = AssertRejected("[FusedPipeline(4)]\n[Linear(4)]\n[Add(\"a\")]\n[Save(\"a\")]\npublic partial class Net { }", "FOPS0018", "Add(\"a\")");
        Assert.Contains("before layer 2 saves it", Message(d));
    }

    [Fact]
    public void ShapeMismatch_FOPS0019_NamesBothShapes()
    {
        Diagnostic d = AssertRejected("[FusedPipeline(4)]\n[Save(\"a\")]\n[Linear(5)]\n[Add(\"a\")]\npublic partial class Net { }", "FOPS0019", "Add(\"a\")");
        Assert.Contains("(5)", Message(d));
        Assert.Contains("(4)", Message(d));
        Assert.Contains("Projection = true", Message(d));
    }

    [Fact]
    public void ConcatWithOtherHeight_FOPS0019_NamesBothShapes()
    {
        Diagnostic d = AssertRejected("[FusedPipeline(2, 8, 8)]\n[Save(\"a\")]\n[Conv2d(3, 3)]\n[Concat(\"a\")]\npublic partial class Net { }", "FOPS0019", "Concat(\"a\")");
        Assert.Contains("(3, 6, 6)", Message(d));
        Assert.Contains("(2, 8, 8)", Message(d));
    }

    [Theory]
    [InlineData("[FusedPipeline(4)]\n[Save(\"a\")]\n[Linear(6)]\n[Add(\"a\", Projection = true)]", "rank 3")]
    [InlineData("[FusedPipeline(2, 8, 8)]\n[Save(\"a\")]\n[Conv2d(3, 3, Padding = 2)]\n[Add(\"a\", Projection = true)]", "no stride")]
    public void ProjectionImpossible_FOPS0020_SaysWhy(string declaration, string why)
    {
        Diagnostic d = AssertRejected(declaration + "\npublic partial class Net { }", "FOPS0020", declaration.Split('\n').Last().Trim('[', ']'));
        Assert.Contains(why, Message(d));
    }

    [Fact]
    public void ValidBranches_GenerateCleanCode()
    {
        GeneratorRun run = GeneratorHarness.Run(Prelude + """
            /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
            [FusedPipeline(2, 9, 9)]
            [Save("a")]
            [Conv2d(4, 3, Stride = 2, Padding = 1)]
            [BatchNorm]
            [ReLU]
            [Add("a", Projection = true)]
            [Save("b")]
            [Conv2d(4, 3, Padding = 1)]
            [Concat("b")]
            public partial class Net
            {
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(GeneratorHarness.PipelineFiles("Net", conv: true), run.Sources.Select(s => s.HintName).Order(System.StringComparer.Ordinal));
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string surface = run.Sources.Single(s => s.HintName == "Net.g.cs").SourceText.ToString();
        Assert.Contains("Save \"a\": the input", surface);
        Assert.Contains("(projection for group", surface);
    }

    private static Diagnostic AssertRejected(string source, string id, string locationText) =>
        GeneratorHarness.AssertRejected(Prelude + source, id, locationText);

    private static string Message(Diagnostic d) => d.GetMessage(CultureInfo.InvariantCulture);
}
