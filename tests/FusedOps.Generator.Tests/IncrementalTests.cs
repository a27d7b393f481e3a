using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The generator's tracked steps must not redo work after an edit that does not touch a pipeline:
/// every output of <see cref="FusedPipelineGenerator.ParseStep"/> and <see cref="FusedPipelineGenerator.ModelStep"/>
/// is Cached or Unchanged on the rerun, which only
/// holds if what they output has value equality and holds no Roslyn object.
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

    /// <summary>Layer attributes without [FusedPipeline] (FOPS0010, an analyzer's): the generator must not look at it.</summary>
    private const string Orphan =
        """
        using FusedOps;

        namespace Samples;

        /// <summary>Not a pipeline.</summary>
        [Linear(3)]
        public partial class Orphan
        {
        }
        """;

    /// <summary>A BatchNorm after a Linear: generated, with the warning FOPS0013 on the BatchNorm.</summary>
    private const string Head =
        """
        using FusedOps;

        namespace Samples;

        /// <summary>A head with an info diagnostic.</summary>
        [FusedPipeline(8)]
        [Linear(4)]
        [BatchNorm]
        public partial class Head
        {
        }
        """;

    /// <summary>An error (FOPS0005): a parse result with diagnostics and no model.</summary>
    private const string Rejected =
        """
        using FusedOps;

        namespace Samples;

        /// <summary>Rejected.</summary>
        [FusedPipeline(4)]
        [Linear(0)]
        public partial class Bad
        {
        }
        """;

    private const string Helpers =
        """
        namespace Samples;

        /// <summary>Unrelated.</summary>
        public static class Helpers
        {
            /// <summary>Two.</summary>
            public const int Two = 2;
        }
        """;

    /// <summary>Outputs per tracked step for <see cref="Conv"/>, <see cref="Mlp"/> and <see cref="Orphan"/> (none for the orphan).</summary>
    private static readonly Dictionary<string, int> s_outputs = new()
    {
        [FusedPipelineGenerator.ParseStep] = 2,
        [FusedPipelineGenerator.ModelStep] = 2,
    };

    /// <summary>Roslyn objects that would root a compilation (or a syntax tree) in the generator cache.</summary>
    private static readonly Type[] s_forbidden =
    [
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(SyntaxToken), typeof(SyntaxTrivia),
        typeof(SyntaxReference), typeof(Location), typeof(SemanticModel), typeof(Compilation), typeof(AttributeData),
    ];

    [Fact]
    public void UnrelatedTypeInNewFile_EveryTrackedStepCachedOrUnchanged()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Conv, Mlp, Orphan);
        GeneratorRun first = GeneratorHarness.Run(compilation, GeneratorHarness.CreateDriver());

        GeneratorRun second = GeneratorHarness.Run(compilation.AddSyntaxTrees(Parse(Helpers, "Helpers.cs")), first.Driver);

        AssertEveryTrackedStepCachedOrUnchanged(second);
        AssertSameSources(first, second);
    }

    [Fact]
    public void EditInAnotherFile_EveryTrackedStepCachedOrUnchanged()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Conv, Mlp, Orphan, Helpers);
        GeneratorRun first = GeneratorHarness.Run(compilation, GeneratorHarness.CreateDriver());

        SyntaxTree old = compilation.SyntaxTrees.Last();
        string edited = Helpers.Replace("public const int Two = 2;", "public const int Two = 2;\n\n    /// <summary>Three.</summary>\n    public static int Three() => 3;");
        GeneratorRun second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(old, Parse(edited, old.FilePath)), first.Driver);

        AssertEveryTrackedStepCachedOrUnchanged(second);
        AssertSameSources(first, second);
    }

    [Fact]
    public void CommentAppendedToPipelineFile_EveryTrackedStepCachedOrUnchanged()
    {
        // The pipeline's file changes, so its attributes are read again; the result must compare equal.
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Conv, Mlp, Orphan);
        GeneratorRun first = GeneratorHarness.Run(compilation, GeneratorHarness.CreateDriver());

        SyntaxTree old = compilation.SyntaxTrees.First();
        GeneratorRun second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(old, Insert(old, old.Length, "\n// A comment after the pipeline.\n")), first.Driver);

        AssertEveryTrackedStepCachedOrUnchanged(second);
        AssertSameSources(first, second);
    }

    [Theory]
    [InlineData("// A comment above the pipeline.\n")]
    [InlineData("/* A block comment\n   over two lines. */\n")]
    [InlineData("using System;\n")]
    public void TextInsertedAbovePipeline_EveryTrackedStepCachedOrUnchangedAndSameOutput(string inserted)
    {
        // Every span in the file moves; a model that held locations would compare unequal and re-emit.
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Conv, Mlp, Orphan);
        GeneratorRun first = GeneratorHarness.Run(compilation, GeneratorHarness.CreateDriver());

        SyntaxTree old = compilation.SyntaxTrees.First();
        GeneratorRun second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(old, Insert(old, 0, inserted)), first.Driver);

        AssertEveryTrackedStepCachedOrUnchanged(second);
        AssertSameSources(first, second);
        Assert.DoesNotContain(second.CompilationDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void CommentAbovePipelineWithInfoDiagnostic_DiagnosticMovesButModelUnchanged()
    {
        // The parse result carries the FOPS0013 location, so it changes and the info moves with the
        // code; the model handed to the emitter carries none, so nothing is re-emitted.
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Head);
        GeneratorRun first = GeneratorHarness.Run(compilation, GeneratorHarness.CreateDriver());

        SyntaxTree old = compilation.SyntaxTrees.Single();
        GeneratorRun second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(old, Insert(old, 0, "// One.\n// Two.\n")), first.Driver);

        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(Outputs(second, FusedPipelineGenerator.ParseStep)).Reason);
        Assert.True(Assert.Single(Outputs(second, FusedPipelineGenerator.ModelStep)).Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        AssertSameSources(first, second);

        Diagnostic before = Assert.Single(first.GeneratorDiagnostics);
        Diagnostic after = Assert.Single(second.GeneratorDiagnostics);
        Assert.Equal("FOPS0013", after.Id);
        Assert.Equal("BatchNorm", second.LocationText(after));
        Assert.Equal(before.Location.GetLineSpan().StartLinePosition.Line + 2, after.Location.GetLineSpan().StartLinePosition.Line);
    }

    [Fact]
    public void OnePipelineEdited_OnlyThatPipelineIsRebuilt()
    {
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation(Conv, Mlp, Orphan);
        GeneratorRun first = GeneratorHarness.Run(compilation, GeneratorHarness.CreateDriver());

        SyntaxTree old = compilation.SyntaxTrees.ElementAt(1);
        GeneratorRun second = GeneratorHarness.Run(compilation.ReplaceSyntaxTree(old, Parse(Mlp.Replace("[Linear(4)]", "[Linear(5)]"), old.FilePath)), first.Driver);

        foreach (string step in new[] { FusedPipelineGenerator.ParseStep, FusedPipelineGenerator.ModelStep })
        {
            List<(object Value, IncrementalStepRunReason Reason)> outputs = Outputs(second, step);
            Assert.Equal(2, outputs.Count);
            Assert.Single(outputs, o => o.Reason == IncrementalStepRunReason.Modified);
            Assert.Single(outputs, o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged);
        }


        // Of the source outputs fed by models, only the edited pipeline's runs the emitter again.
        IncrementalGeneratorRunStep[] emits = [.. second.Result.TrackedOutputSteps["SourceOutput"]
            .Where(s => s.Inputs.Any(i => i.Source.Name == FusedPipelineGenerator.ModelStep))];
        Assert.Equal(2, emits.Length);
        Assert.Single(emits, s => s.Outputs.All(o => o.Reason == IncrementalStepRunReason.Modified));
        Assert.Single(emits, s => s.Outputs.All(o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));

        Assert.Equal(Source(first, "Samples.ConvNet.g.cs"), Source(second, "Samples.ConvNet.g.cs"));
        Assert.NotEqual(Source(first, "Samples.Mlp.g.cs"), Source(second, "Samples.Mlp.g.cs"));
        Assert.Contains("OutputLength = 5;", Source(second, "Samples.Mlp.g.cs"));
    }

    [Fact]
    public void TrackedStepOutputs_HoldNoSymbolSyntaxLocationSemanticModelOrCompilation()
    {
        GeneratorRun run = GeneratorHarness.Run(Conv, Mlp, Orphan, Head, Rejected);

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string step in s_outputs.Keys)
        {
            foreach ((object value, _) in Outputs(run, step))
            {
                List<string> found = FindRoslynObjects(value, step, seen);
                Assert.True(found.Count == 0, string.Join("\n", found));
            }
        }

        // The walk reached the models, and the diagnostics' LocationInfo (primitives: allowed) inside EquatableArrays.
        Assert.Superset(new HashSet<string> { "PipelineResult", "PipelineModel", "LinearLayer", "GroupPlan", "Shape", "DiagnosticInfo", "LocationInfo", "TextSpan", "LinePositionSpan" }, seen);
    }

    [Fact]
    public void RoslynObjectFinder_FindsObjectsNestedInTuplesArraysAndFields()
    {
        SyntaxTree tree = CSharpSyntaxTree.ParseText("class C { }");
        object planted = new { Name = "x", Items = new List<object> { (1, new[] { "a" }), (2, new object[] { tree.GetRoot().GetLocation() }) } };

        List<string> found = FindRoslynObjects(planted, "planted", []);

        Assert.Equal("planted.<Items>i__Field[1].Item2[0]: Microsoft.CodeAnalysis.SourceLocation", Assert.Single(found));
        Assert.Single(FindRoslynObjects(new[] { tree.GetRoot() }, "nodes", []));
    }

    private static SyntaxTree Parse(string text, string path) => CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, path: path);

    private static SyntaxTree Insert(SyntaxTree tree, int position, string text) =>
        tree.WithChangedText(tree.GetText().WithChanges(new TextChange(new TextSpan(position, 0), text)));

    private static void AssertEveryTrackedStepCachedOrUnchanged(GeneratorRun run)
    {
        foreach ((string step, int count) in s_outputs)
        {
            List<(object Value, IncrementalStepRunReason Reason)> outputs = Outputs(run, step);
            Assert.Equal(count, outputs.Count);
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

    /// <summary>
    /// Walks <paramref name="root"/> through every instance field (so every auto-property), every element
    /// of an array or other enumerable (EquatableArray, ImmutableArray) and every tuple item, and returns
    /// the paths of forbidden Roslyn objects. Records the names of the types it passes in <paramref name="seen"/>.
    /// </summary>
    private static List<string> FindRoslynObjects(object? root, string path, HashSet<string> seen)
    {
        var found = new List<string>();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        Walk(root, path, 0);
        return found;

        void Walk(object? value, string at, int depth)
        {
            // A collection's elements are reached twice, as elements and through its backing array.
            if (value is null || !visited.Add(value))
            {
                return;
            }

            Type type = value.GetType();
            if (s_forbidden.Any(f => f.IsAssignableFrom(type)))
            {
                found.Add($"{at}: {type.FullName}");
                return;
            }

            if (type.IsPrimitive || type.IsEnum || value is string or decimal)
            {
                return;
            }

            Assert.True(depth < 32, $"{at}: nested too deeply; is there a cycle through a value type?");
            seen.Add(type.Name);
            if (value is IEnumerable items)
            {
                int i = 0;
                foreach (object? item in items)
                {
                    Walk(item, $"{at}[{i++}]", depth + 1);
                }
            }

            for (Type? t = type; t is not null && t != typeof(object) && !type.IsArray; t = t.BaseType)
            {
                foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    Walk(field.GetValue(value), $"{at}.{field.Name}", depth + 1);
                }
            }
        }
    }

    private static void AssertSameSources(GeneratorRun first, GeneratorRun second) =>
        Assert.Equal(
            first.Sources.Select(s => (s.HintName, s.SourceText.ToString())),
            second.Sources.Select(s => (s.HintName, s.SourceText.ToString())));

    private static string Source(GeneratorRun run, string hintName) =>
        run.Sources.Single(s => s.HintName == hintName).SourceText.ToString();
}
