using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// One test per error the generator reports: id, severity, where it points (the offending attribute,
/// argument or class name, in the compilation's own tree), and that a rejected pipeline generates
/// nothing (no half-written class), without the generator crashing. The info and warning diagnostics,
/// which still generate code, are in <see cref="WarningAndInfoDiagnosticsTests"/>.
/// </summary>
public sealed class DiagnosticsTests
{
    [Fact]
    public void ClassNotPartial_FOPS0001_OnClassName()
    {
        Diagnostic d = AssertRejected(
            """
            [FusedPipeline(4)]
            [Linear(2)]
            public class Net
            {
            }
            """,
            "FOPS0001",
            "Net");

        Assert.Contains("'Net'", Message(d));
    }

    [Fact]
    public void NoLayers_FOPS0002_OnPipelineAttribute() =>
        AssertRejected(
            """
            [FusedPipeline(4)]
            public partial class Net
            {
            }
            """,
            "FOPS0002",
            "FusedPipeline(4)");

    [Theory]
    [InlineData("FusedPipeline(16, 32)", "FusedPipeline(16, 32)", "rank 2")]
    [InlineData("FusedPipeline()", "FusedPipeline()", "rank 0")]
    [InlineData("FusedPipeline(3, 0, 8)", "0", "at least 1")]
    [InlineData("FusedPipeline(-4)", "-4", "at least 1")]
    [InlineData("FusedPipeline(new[] { 3, 8, -1 })", "new[] { 3, 8, -1 }", "at least 1")]
    public void BadInputShape_FOPS0003_OnPipelineAttributeOrBadDimension(string pipeline, string location, string reason)
    {
        Diagnostic d = AssertRejected(
            $$"""
            [{{pipeline}}]
            [ReLU]
            public partial class Net
            {
            }
            """,
            "FOPS0003",
            location);

        Assert.Contains(reason, Message(d));
    }

    [Theory]
    [InlineData("FusedPipeline(3, 8, 8)", "Linear(10)", "Flatten")]
    [InlineData("FusedPipeline(12)", "Conv2d(4, 3)", "(channels, height, width)")]
    public void LayerCannotTakeInput_FOPS0004_OnLayerAttribute(string pipeline, string layer, string hint)
    {
        Diagnostic d = AssertRejected(
            $$"""
            [{{pipeline}}]
            [ReLU]
            [{{layer}}]
            public partial class Net
            {
            }
            """,
            "FOPS0004",
            layer);

        Assert.Contains("Layer 1", Message(d));
        Assert.Contains(hint, Message(d));
    }

    [Theory]
    [InlineData("Conv2d(8, 0)", "0", "kernelSize is 0")]
    [InlineData("Conv2d(0, 3)", "0", "outChannels is 0")]
    [InlineData("Conv2d(kernelSize: -2, outChannels: 8)", "kernelSize: -2", "kernelSize is -2")]
    [InlineData("Conv2d(outChannels: 8, 0)", "0", "kernelSize is 0")]
    [InlineData("Conv2d(8, 3, Padding = -1)", "Padding = -1", "Padding is -1")]
    [InlineData("Conv2d(8, 3, Stride = 0)", "Stride = 0", "Stride is 0")]
    [InlineData("Conv2d(8, 3, Padding = 1, Dilation = 0)", "Dilation = 0", "Dilation is 0")]
    [InlineData("Conv2d(8, 3, Groups = 4)", "Groups = 4", "Groups is 4")]
    [InlineData("BatchNorm(Epsilon = 0f)", "Epsilon = 0f", "Epsilon is 0")]
    [InlineData("BatchNorm(Momentum = 1.5f)", "Momentum = 1.5f", "Momentum is 1.5")]
    [InlineData("LeakyReLU(NegativeSlope = float.NaN)", "NegativeSlope = float.NaN", "NegativeSlope is NaN")]
    [InlineData("HardTanh(Min = 1f, Max = 1f)", "Min = 1f", "Min is 1")]
    [InlineData("HardTanh(Max = -2f)", "Max = -2f", "below Max (-2)")]
    public void ArgumentOutOfRange_FOPS0005_OnArgument(string layer, string argument, string what)
    {
        // Input (6, 8, 8): Groups = 4 divides neither 6 input channels nor 8 outputs (checked by the planner).
        Diagnostic d = AssertRejected(
            $$"""
            [FusedPipeline(6, 8, 8)]
            [{{layer}}]
            public partial class Net
            {
            }
            """,
            "FOPS0005",
            argument);

        Assert.Contains(what, Message(d));
    }

    [Fact]
    public void SpatialSizeShrinksToZero_FOPS0006_OnConvAttribute()
    {
        Diagnostic d = AssertRejected(
            """
            [FusedPipeline(1, 4, 4)]
            [Conv2d(2, 3)]
            [Conv2d(2, 3, Dilation = 2)]
            public partial class Net
            {
            }
            """,
            "FOPS0006",
            "Conv2d(2, 3, Dilation = 2)");

        Assert.Contains("input (2, 2, 2) into (2, 0, 0)", Message(d));
    }

    [Fact]
    public void LayerOutsideTheApi_FOPS0007_OnLayerAttribute() =>
        AssertRejected(
            """
            [FusedPipeline(8)]
            [Linear(4)]
            [Custom]
            public partial class Net
            {
            }

            /// <summary>A layer attribute of the user's own, which no generator version knows.</summary>
            public sealed class CustomAttribute : FusedOps.LayerAttribute
            {
            }
            """,
            "FOPS0007",
            "Custom");

    [Theory]
    [InlineData(
        """
        [FusedPipeline(4)]
        [Linear(2)]
        public partial class Net<T>
        {
        }
        """,
        "Net")]
    [InlineData(
        """
        public partial class Outer<T>
        {
            [FusedPipeline(4)]
            [Linear(2)]
            public partial class Net
            {
            }
        }
        """,
        "Net")]
    [InlineData(
        """
        public partial class Outer<T>
        {
            public partial class Middle
            {
                [FusedPipeline(4)]
                [Linear(2)]
                public partial class Net<U>
                {
                }
            }
        }
        """,
        "Net")]
    public void GenericType_FOPS0008_OnClassName(string source, string name) =>
        AssertRejected(source, "FOPS0008", name);

    [Fact]
    public void NestedInNonPartialClass_FOPS0009_OnClassName()
    {
        Diagnostic d = AssertRejected(
            """
            public class Outer
            {
                [FusedPipeline(4)]
                [Linear(2)]
                public partial class Net
                {
                }
            }
            """,
            "FOPS0009",
            "Net");

        Assert.Contains("'Outer'", Message(d));
    }

    [Theory]
    [InlineData("[Linear(2)]\n[ReLU]\npublic partial class Net\n{\n}", "Linear(2)")]
    [InlineData("[ReLU]\npublic class Net\n{\n}", "ReLU")]
    [InlineData("[Flatten]\n[Linear(2)]\npublic record Net;", "Flatten")]
    [InlineData("[ReLU]\npublic class Outer\n{\n    [Dropout]\n    public class Net\n    {\n    }\n}", "Dropout")]
    public void LayersWithoutPipeline_FOPS0010_OnFirstLayerAttribute(string source, string layer)
    {
        // An analyzer's diagnostic: the generator itself reports nothing and generates nothing.
        GeneratorRun run = GeneratorHarness.Run(Prelude + source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.Sources);

        System.Collections.Immutable.ImmutableArray<Diagnostic> found = GeneratorHarness.Analyze(Prelude + source);
        Diagnostic d = Assert.Single(found, x => run.LocationText(x) == layer);
        Assert.All(found, x => Assert.Equal("FOPS0010", x.Id));
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(LocationKind.SourceFile, d.Location.Kind);
        Assert.Contains("'Net'", Message(d));
        Assert.Contains("[FusedPipeline(", Message(d));
    }

    [Fact]
    public void LayersWithoutPipelineOnTwoPartialDeclarations_FOPS0010_OncePerDeclaration()
    {
        string source = Prelude + "[Linear(2)]\n[ReLU]\npublic partial class Net\n{\n}\n\n[Tanh]\npublic partial class Net\n{\n}\n";
        GeneratorRun run = GeneratorHarness.Run(source);
        System.Collections.Immutable.ImmutableArray<Diagnostic> found = GeneratorHarness.Analyze(source);

        Assert.Equal(["Linear(2)", "Tanh"], found.Select(run.LocationText).Order(System.StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("[FusedPipeline(4)]\npublic partial class Net\n{\n}\n\n[Linear(2)]\npublic partial class Net\n{\n}\n")]
    [InlineData("[FusedPipeline(4)]\n[Linear(2)]\npublic partial class Net\n{\n}\n")]
    [InlineData("[System.Obsolete]\npublic class Plain\n{\n}\n")]
    public void PipelineOnSomePartOrNoLayerAttributes_NoFOPS0010(string source)
    {
        Assert.Empty(GeneratorHarness.Analyze(Prelude + source));
        Assert.DoesNotContain(GeneratorHarness.Run(Prelude + source).GeneratorDiagnostics, d => d.Id == "FOPS0010");
    }

    [Fact]
    public void LayersOnTwoDeclarations_FOPS0011_OnLayerOfSecondDeclaration() =>
        AssertRejected(
            """
            [FusedPipeline(4)]
            [Linear(3)]
            public partial class Net
            {
            }

            [ReLU]
            public partial class Net
            {
            }
            """,
            "FOPS0011",
            "ReLU");

    [Theory]
    [InlineData("public void Forward() { }", "Forward")]
    [InlineData("public int Parameters => 0;", "Parameters")]
    [InlineData("public Net() { }", "Net")]
    [InlineData("public Net(int seed) { }", "Net")]
    public void MemberAlreadyDeclared_FOPS0012_OnMember(string member, string name) =>
        AssertRejected(
            $$"""
            [FusedPipeline(4)]
            [Linear(2)]
            public partial class Net
            {
                {{member}}
            }
            """,
            "FOPS0012",
            name);

    [Theory]
    [InlineData("public static partial class Net\n{\n}", "static class")]
    [InlineData("public static class Net\n{\n}", "static class")]
    [InlineData("public partial record Net\n{\n}", "record")]
    [InlineData("public record Net;", "record")]
    public void StaticClassOrRecord_FOPS0014_OnTypeName(string declaration, string kind)
    {
        // Only FOPS0014, not FOPS0001 as well for the declarations that are also not partial.
        Diagnostic d = AssertRejected(
            $$"""
            [FusedPipeline(4)]
            [Linear(2)]
            {{declaration}}
            """,
            "FOPS0014",
            "Net");

        Assert.Contains($"'Net' is a {kind}", Message(d));
        Assert.Contains("non-static, non-record partial class", Message(d));
    }

    [Fact]
    public void RejectedPipeline_DoesNotStopAnotherInTheSameCompilation()
    {
        GeneratorRun run = GeneratorHarness.Run(Prelude +
            """
            [FusedPipeline(4)]
            [Linear(0)]
            public partial class Bad
            {
            }

            [FusedPipeline(4)]
            [Linear(2)]
            public partial class Good
            {
            }
            """);

        Diagnostic d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FOPS0005", d.Id);
        Assert.Equal(GeneratorHarness.PipelineFiles("Good", conv: false), run.Sources.Select(x => x.HintName).Order(System.StringComparer.Ordinal));
        Assert.Empty(run.CompilationDiagnostics.Where(x => x.Severity == DiagnosticSeverity.Error));
    }

    private const string Prelude = "using FusedOps;\n\n";

    /// <summary>
    /// Runs the generator on <paramref name="source"/> (with <c>using FusedOps;</c> prepended) and checks
    /// it reports exactly one <paramref name="id"/> error at <paramref name="locationText"/>, generates no
    /// source, does not crash (no CS8785 / AD0001), and leaves the user's code compiling.
    /// </summary>
    internal static Diagnostic AssertRejected(string source, string id, string locationText) =>
        GeneratorHarness.AssertRejected(Prelude + source, id, locationText);

    internal static string Message(Diagnostic d) => d.GetMessage(CultureInfo.InvariantCulture);
}
