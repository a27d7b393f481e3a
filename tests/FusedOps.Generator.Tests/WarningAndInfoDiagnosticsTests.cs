using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// Diagnostics that do not reject the pipeline: the warnings FOPS0013 and FOPS0015. The code is
/// still generated and compiles cleanly, and because the diagnostics lie in the compilation's own
/// trees, <c>#pragma warning disable</c> around the declaration silences them.
/// </summary>
public sealed class WarningAndInfoDiagnosticsTests
{
    private const string Prelude = "using FusedOps;\n\n";

    [Fact]
    public void BatchNormOnVector_FOPS0013_WarningAndStillGenerates()
    {
        GeneratorRun run = GeneratorHarness.Run(Prelude +
            """
            /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
            [FusedPipeline(8)]
            [Linear(4)]
            [BatchNorm]
            public partial class Net
            {
            }
            """);

        Diagnostic d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FOPS0013", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal("BatchNorm", run.LocationText(d));
        GeneratorHarness.AssertInSourceTree(run, d);
        Assert.NotEmpty(run.Sources);
        Assert.Equal(["FOPS0013"], run.WarningsAndErrors.Select(x => x.Id));
    }

    [Theory]
    [InlineData("Conv2d(73, 1)", "73 output channels per group", "25 register-block calls")]
    [InlineData("Conv2d(150, 1, Groups = 2)", "75 output channels per group", "25 register-block calls")]
    [InlineData("Conv2d(200, 3, Padding = 1)", "200 output channels per group", "67 register-block calls")]
    public void VeryWideConv_FOPS0015_WarningAndStillGeneratesCompilingCode(string layer, string channels, string blocks)
    {
        GeneratorRun run = GeneratorHarness.Run(Prelude +
            $$"""
            /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
            [FusedPipeline(2, 5, 7)]
            [{{layer}}]
            [ReLU]
            public partial class Wide
            {
            }
            """);

        Assert.Null(run.Result.Exception);
        Diagnostic d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("FOPS0015", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal(layer, run.LocationText(d));
        GeneratorHarness.AssertInSourceTree(run, d);
        string message = d.GetMessage(CultureInfo.InvariantCulture);
        Assert.Contains("Layer 0 (Conv2d)", message);
        Assert.Contains(channels, message);
        Assert.Contains(blocks, message);

        Assert.Equal(GeneratorHarness.PipelineFiles("Wide", conv: true), run.Sources.Select(x => x.HintName).Order(System.StringComparer.Ordinal));
        Assert.Empty(run.CompilationDiagnostics.Where(x => x.Severity >= DiagnosticSeverity.Warning));
        Assert.Equal(["FOPS0015"], run.WarningsAndErrors.Select(x => x.Id));
    }

    [Fact]
    public void ConvAtTheUnrollLimit_NoFOPS0015()
    {
        // 72 output channels are 24 blocks of 3 (Vector256 rows), KernelLimits.MaxUnrolledBlocks: still unrolled.
        GeneratorRun run = GeneratorHarness.Run(Prelude +
            """
            /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
            [FusedPipeline(2, 5, 7)]
            [Conv2d(72, 1)]
            public partial class AtLimit
            {
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.NotEmpty(run.Sources);
        Assert.Empty(run.WarningsAndErrors);
    }

    [Fact]
    public void PragmaAroundDeclaration_SuppressesFOPS0015_OnlyThere()
    {
        // A second wide pipeline outside the pragma shows the warning is still produced, so the first
        // is silenced by the pragma. That works only if the location is in the compilation's tree: an
        // external location (path and span only) is never matched against #pragma.
        GeneratorRun run = GeneratorHarness.Run(Prelude +
            """
            #pragma warning disable FOPS0015 // a wide layer is intended here
            /// <summary>Suppressed.</summary>
            [FusedPipeline(2, 5, 7)]
            [Conv2d(80, 1)]
            public partial class Quiet
            {
            }
            #pragma warning restore FOPS0015

            /// <summary>Not suppressed.</summary>
            [FusedPipeline(2, 5, 7)]
            [Conv2d(81, 1)]
            public partial class Loud
            {
            }
            """);

        Diagnostic[] reported = [.. run.GeneratorDiagnostics.Where(d => d.Id == "FOPS0015" && !d.IsSuppressed)];
        Diagnostic d = Assert.Single(reported);
        Assert.Equal("Conv2d(81, 1)", run.LocationText(d));
        Assert.DoesNotContain(run.CompilationDiagnostics, x => x.Id == "FOPS0015");
        Assert.Equal(8, run.Sources.Length); // two pipelines, four files each
        Assert.Equal(["FOPS0015"], run.WarningsAndErrors.Where(x => !x.IsSuppressed).Select(x => x.Id));
    }

    [Fact]
    public void SuppressMessageOnClass_SuppressesFOPS0015()
    {
        GeneratorRun run = GeneratorHarness.Run(Prelude +
            """
            /// <summary>Suppressed by attribute.</summary>
            [System.Diagnostics.CodeAnalysis.SuppressMessage("FusedOps", "FOPS0015", Justification = "A wide layer is intended.")]
            [FusedPipeline(2, 5, 7)]
            [Conv2d(80, 1)]
            public partial class Quiet
            {
            }
            """);

        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "FOPS0015" && !d.IsSuppressed);
        Assert.NotEmpty(run.Sources);
        Assert.DoesNotContain(run.WarningsAndErrors, x => !x.IsSuppressed);
    }
}
