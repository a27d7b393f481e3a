using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The generator's tracked steps must not redo work after an edit that does not touch a pipeline:
/// every output of <see cref="FusedPipelineGenerator.ParseStep"/> and <see cref="FusedPipelineGenerator.ModelStep"/>
/// is Cached or Unchanged on the rerun, which only holds if the models have value equality.
/// </summary>
public sealed class IncrementalTests
{
    private const string Conv =
        """
        using FusedOps;

        namespace Samples;

        /// <summary>A conv block.</summary>
        [FusedPipeline(3, 10, 12)]
        [Conv2d(8, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        public partial class ConvNet
        {
        }
        """;

    private const string Mlp =
        """
        using FusedOps;

        namespace Samples;

        /// <summary>A small MLP.</summary>
        [FusedPipeline(20)]
        [Linear(13)]
        [ReLU]
        [Linear(4)]
        public partial class Mlp
        {
        }
        """;

    private static readonly string[] s_trackedSteps = [FusedPipelineGenerator.ParseStep, FusedPipelineGenerator.ModelStep];

    [Fact]
    public void UnrelatedFileAdded_TrackedStepsCachedOrUnchanged()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Conv, Mlp);
        GeneratorRun first = GeneratorHarness.Run(compilation, GeneratorHarness.CreateDriver());

        CSharpCompilation edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Samples;\n\n/// <summary>Unrelated.</summary>\npublic static class Helpers\n{\n    /// <summary>Two.</summary>\n    public const int Two = 2;\n}\n",
            GeneratorHarness.ParseOptions,
            path: "Helpers.cs"));
        GeneratorRun second = GeneratorHarness.Run(edited, first.Driver);

        AssertAllCachedOrUnchanged(second, expectedPipelines: 2);
        AssertSameSources(first, second);
    }

    [Fact]
    public void CommentAppendedToPipelineFile_TrackedStepsCachedOrUnchanged()
    {
        // The pipeline's file changes, so its attributes are read again; the result must compare equal.
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Conv, Mlp);
        GeneratorRun first = GeneratorHarness.Run(compilation, GeneratorHarness.CreateDriver());

        SyntaxTree old = compilation.SyntaxTrees.First();
        SyntaxTree changed = old.WithChangedText(old.GetText().WithChanges(
            new Microsoft.CodeAnalysis.Text.TextChange(new Microsoft.CodeAnalysis.Text.TextSpan(old.Length, 0), "\n// A comment after the pipeline.\n")));
        GeneratorRun second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(old, changed), first.Driver);

        AssertAllCachedOrUnchanged(second, expectedPipelines: 2);
        AssertSameSources(first, second);
    }

    [Fact]
    public void OnePipelineEdited_OnlyThatPipelineIsRebuilt()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Conv, Mlp);
        GeneratorRun first = GeneratorHarness.Run(compilation, GeneratorHarness.CreateDriver());

        SyntaxTree old = compilation.SyntaxTrees.Last();
        SyntaxTree changed = CSharpSyntaxTree.ParseText(Mlp.Replace("[Linear(4)]", "[Linear(5)]"), GeneratorHarness.ParseOptions, path: old.FilePath);
        GeneratorRun second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(old, changed), first.Driver);

        foreach (string step in s_trackedSteps)
        {
            List<(object Value, IncrementalStepRunReason Reason)> outputs = Outputs(second, step);
            Assert.Equal(2, outputs.Count);
            Assert.Single(outputs, o => o.Reason == IncrementalStepRunReason.Modified);
            Assert.Single(outputs, o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        }

        Assert.Equal(Source(first, "Samples.ConvNet.g.cs"), Source(second, "Samples.ConvNet.g.cs"));
        Assert.NotEqual(Source(first, "Samples.Mlp.g.cs"), Source(second, "Samples.Mlp.g.cs"));
        Assert.Contains("OutputLength = 5;", Source(second, "Samples.Mlp.g.cs"));
    }

    private static void AssertAllCachedOrUnchanged(GeneratorRun run, int expectedPipelines)
    {
        foreach (string step in s_trackedSteps)
        {
            List<(object Value, IncrementalStepRunReason Reason)> outputs = Outputs(run, step);
            Assert.Equal(expectedPipelines, outputs.Count);
            Assert.All(outputs, o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                $"{step} output {o.Value} was {o.Reason}"));
        }
    }

    private static List<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRun run, string step)
    {
        Assert.True(run.Result.TrackedSteps.TryGetValue(step, out var steps), $"step {step} was not tracked");
        return [.. steps.SelectMany(s => s.Outputs)];
    }

    private static void AssertSameSources(GeneratorRun first, GeneratorRun second) =>
        Assert.Equal(
            first.Sources.Select(s => (s.HintName, s.SourceText.ToString())),
            second.Sources.Select(s => (s.HintName, s.SourceText.ToString())));

    private static string Source(GeneratorRun run, string hintName) =>
        run.Sources.Single(s => s.HintName == hintName).SourceText.ToString();
}
