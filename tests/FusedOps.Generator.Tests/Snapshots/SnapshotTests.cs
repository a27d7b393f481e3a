using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace FusedOps.Generator.Tests.Snapshots;

/// <summary>
/// The generated source of representative pipelines, compared with <c>SnapshotTests.*.approved.cs</c>
/// beside this file. Each test also checks that the output compiles without a warning (nullable on,
/// every warning wave, doc comments diagnosed) and that a second, independent run is byte-identical.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public void ConvBatchNormReLU_MatchesApproved()
    {
        string generated = GenerateClean(
            """
            using FusedOps;

            namespace Samples;

            /// <summary>One fused Conv2d + BatchNorm + ReLU block.</summary>
            [FusedPipeline(16, 32, 32)]
            [Conv2d(32, 3, Padding = 1)]
            [BatchNorm]
            [ReLU]
            public partial class ConvBnRelu
            {
            }
            """,
            "Samples.ConvBnRelu", conv: true);

        Snapshot.Verify(generated, nameof(SnapshotTests));
    }

    [Fact]
    public void TwoBlockCnn_MatchesApproved()
    {
        string generated = GenerateClean(
            """
            using FusedOps;

            namespace Samples;

            /// <summary>Two conv blocks and a linear head.</summary>
            [FusedPipeline(1, 16, 16)]
            [Conv2d(8, 3, Padding = 1)]
            [BatchNorm]
            [ReLU]
            [Conv2d(16, 3, Stride = 2, Padding = 1)]
            [BatchNorm]
            [ReLU]
            [Flatten]
            [Linear(4)]
            public partial class TwoBlockCnn
            {
            }
            """,
            "Samples.TwoBlockCnn", conv: true);

        Snapshot.Verify(generated, nameof(SnapshotTests));
    }

    [Fact]
    public void ResidualBlocks_MatchesApproved()
    {
        // API.md's branch example: an identity shortcut around two convolutions, then a stride-2 block with a projection.
        string generated = GenerateClean(
            """
            using FusedOps;

            namespace Samples;

            /// <summary>Two residual blocks.</summary>
            [FusedPipeline(16, 32, 32)]
            [Save("a")]
            [Conv2d(16, 3, Padding = 1)] [BatchNorm] [ReLU]
            [Conv2d(16, 3, Padding = 1)] [BatchNorm]
            [Add("a")]
            [ReLU]
            [Save("b")]
            [Conv2d(32, 3, Stride = 2, Padding = 1)] [BatchNorm]
            [Add("b", Projection = true)]
            public partial class ResBlocks
            {
            }
            """,
            "Samples.ResBlocks",
            conv: true);

        Snapshot.Verify(generated, nameof(SnapshotTests));
    }

    [Fact]
    public void FashionNet_MatchesApproved()
    {
        // The Fashion-MNIST sample's network: a one-channel first layer, a residual block, pools, and a Linear head that
        // inference runs on blocks of whole convolution chunks (headChunk) rather than per chunk.
        string generated = GenerateClean(
            """
            using FusedOps;

            namespace Samples;

            /// <summary>The Fashion-MNIST network.</summary>
            [FusedPipeline(1, 28, 28)]
            [Conv2d(16, 3, Padding = 1)] [BatchNorm] [ReLU]
            [Save("a")]
            [Conv2d(16, 3, Padding = 1)] [BatchNorm] [ReLU]
            [Conv2d(16, 3, Padding = 1)] [BatchNorm]
            [Add("a")] [ReLU]
            [MaxPool2d(2)]
            [Conv2d(32, 3, Padding = 1)] [BatchNorm] [ReLU]
            [MaxPool2d(2)]
            [Flatten]
            [Linear(128)] [ReLU] [Dropout(P = 0.25f)]
            [Linear(10)]
            public partial class FashionNet
            {
            }
            """,
            "Samples.FashionNet",
            conv: true);

        Assert.Contains("headChunk", generated, System.StringComparison.Ordinal);
        Assert.Contains("SingleChannelConv.Run3x3", generated, System.StringComparison.Ordinal);
        Snapshot.Verify(generated, nameof(SnapshotTests));
    }

    [Fact]
    public void LinearBatchNormLeakyReLU_MatchesApproved()
    {
        // BatchNorm on rank-1 input is BatchNorm1d: the generator warns (FOPS0013) that training needs a batch of 2.
        string generated = GenerateClean(
            """
            using FusedOps;

            namespace Samples;

            /// <summary>A Linear + BatchNorm1d + LeakyReLU block.</summary>
            [FusedPipeline(20)]
            [Linear(13)]
            [BatchNorm]
            [LeakyReLU(NegativeSlope = 0.2f)]
            public partial class LinearBnLeaky
            {
            }
            """,
            "Samples.LinearBnLeaky",
            conv: false,
            "FOPS0013");

        Snapshot.Verify(generated, nameof(SnapshotTests));
    }

    [Fact]
    public void NestedInGlobalNamespace_LinearWithoutBiasAndHardTanh_MatchesApproved()
    {
        // No namespace, a containing static class, no bias, an activation with two arguments and no BatchNorm.
        string generated = GenerateClean(
            """
            using FusedOps;

            /// <summary>Holds the pipeline.</summary>
            public static partial class Models
            {
                /// <summary>A linear layer without bias, clamped.</summary>
                [FusedPipeline(6)]
                [Linear(3, Bias = false)]
                [HardTanh(Min = -0.5f, Max = 2f)]
                public partial class Tiny
                {
                }
            }
            """,
            "Models.Tiny", conv: false);

        Snapshot.Verify(generated, nameof(SnapshotTests));
    }

    /// <summary>
    /// Runs the generator on <paramref name="source"/>, checks it produced the files of pipeline
    /// <paramref name="stem"/>, only the <paramref name="expectedDiagnosticIds"/> (none a warning or error),
    /// (warnings only among those), and no other warning; runs it again from scratch and checks the output is byte-identical.
    /// Returns every file's text, each after a <c>// ===== hint name =====</c> line, in ordinal order.
    /// </summary>
    [Fact]
    public void NormPoolDropoutAndSeedsExtra_MatchesApproved()
    {
        string generated = GenerateClean(
            """
            using FusedOps;

            namespace Samples;

            /// <summary>A norm with its activation, a pool, Dropout and two of the seeds' extras.</summary>
            [FusedPipeline(3, 12, 12)]
            [Conv2d(8, 3, Padding = 1)]
            [GroupNorm(2)]
            [SiLU]
            [MaxPool2d(2)]
            [Dropout(P = 0.2f)]
            [BipolarReLU]
            [Flatten]
            [Linear(10)]
            [PReLU]
            public partial class Catalogue
            {
            }
            """,
            "Samples.Catalogue", conv: true);

        Snapshot.Verify(generated, nameof(SnapshotTests));
    }

    [Fact]
    public void ConvMaxPool3Bands_MatchesApproved()
    {
        // A non-overlapping pool other than 2×2 in the conv's inference pass: bands of output rows, pooled by ConvHelpers.PoolBand.
        string generated = GenerateClean(
            """
            using FusedOps;

            namespace Samples;

            /// <summary>Conv2d + BatchNorm + ReLU + MaxPool2d(3) on an odd image (11×13 pooled to 3×4).</summary>
            [FusedPipeline(3, 11, 13)]
            [Conv2d(6, 3, Padding = 1)]
            [BatchNorm]
            [ReLU]
            [MaxPool2d(3)]
            public partial class ConvPool3
            {
            }
            """,
            "Samples.ConvPool3", conv: true);

        Snapshot.Verify(generated, nameof(SnapshotTests));
    }

    private static string GenerateClean(string source, string stem, bool conv, params string[] expectedDiagnosticIds)
    {
        GeneratorRun run = GeneratorHarness.Run(source);

        Assert.Null(run.Result.Exception);
        Assert.Equal(expectedDiagnosticIds, run.GeneratorDiagnostics.Select(d => d.Id).Order());
        Assert.All(run.GeneratorDiagnostics, d => Assert.True(d.Severity < DiagnosticSeverity.Error, d.ToString()));
        Assert.Equal(GeneratorHarness.PipelineFiles(stem, conv), run.Sources.Select(s => s.HintName).Order(System.StringComparer.Ordinal));
        Assert.True(!run.GeneratedCodeWarningsAndErrors.Any(), GeneratorRun.Describe(run.GeneratedCodeWarningsAndErrors));
        Assert.True(run.WarningsAndErrors.All(d => expectedDiagnosticIds.Contains(d.Id)), GeneratorRun.Describe(run.WarningsAndErrors));

        GeneratorRun again = GeneratorHarness.Run(source);
        Assert.Equal(Texts(run), Texts(again));
        return string.Concat(Texts(run).Select(f => $"// ===== {f.HintName} =====\n{f.Text}"));
    }

    private static (string HintName, string Text)[] Texts(GeneratorRun run) =>
        run.Sources.OrderBy(s => s.HintName, System.StringComparer.Ordinal).Select(s => (s.HintName, s.SourceText.ToString())).ToArray();
}
