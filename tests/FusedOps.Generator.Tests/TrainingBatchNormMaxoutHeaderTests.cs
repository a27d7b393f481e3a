using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// A Maxout after Conv2d → BatchNorm (grid and strided) rides BatchNorm's normalise pass (only the maxima and winning pieces
/// stored) and its reduction pass (dY routed to the winner there): the Maxout group has no training pass of its own.
/// </summary>
public sealed class TrainingBatchNormMaxoutHeaderTests
{
    private const string Source = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(3, 7, 9)]
        [Conv2d(8, 3, Padding = 1)]
        [BatchNorm]
        [Maxout(2)]
        [Conv2d(6, 3, Stride = 2)]
        [BatchNorm]
        [Maxout(3)]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void MaxoutAfterBatchNorm_RidesTheNormaliseAndReductionPasses()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string surface = run.Sources.Single(s => s.HintName == "Net.g.cs").SourceText.ToString();
        string training = run.Sources.Single(s => s.HintName == "Net.Training.g.cs").SourceText.ToString();

        Assert.Contains("elementwise: normalise + Maxout(2)", surface);
        Assert.Contains("elementwise: normalise + Maxout(3)", surface);
        Assert.Contains("backward: elementwise: Maxout(2)' + BatchNorm reductions, then BatchNorm input gradient", surface);
        // Off the grid, BatchNorm's input gradient is formed per sample in the conv's backward (StridedConvEpilogueHeaderTests).
        Assert.Contains("backward: elementwise: Maxout(3)' + BatchNorm reductions, then Conv2d dW, dB, dX, dZ formed first: BatchNorm input gradient", surface);
        Assert.Equal(2, Count(surface, "training forward: in group "));
        Assert.Equal(2, Count(surface, "backward: in group "));

        Assert.Contains("TrainingPasses.MaxoutAffineForward(2, _piece1, ref _z0[0], ", training);
        Assert.Contains("TrainingPasses.MaxoutAffineForward(3, _piece3, ref _z2[0], ", training);
        Assert.Contains("TrainingPasses.MaxoutBackwardReduce(2, _piece1, ref dy, ref zs, ", training);
        Assert.Contains("TrainingPasses.MaxoutBackwardReduce(3, _piece3, ref dy, ref zs, ", training);
        Assert.DoesNotContain("ChannelActivations.MaxoutForward(", training);
        Assert.DoesNotContain("ChannelActivations.MaxoutBackward(", training);
        Assert.DoesNotContain("G1_Forward", training);
        Assert.DoesNotContain("G3_Backward", training);

        // The BatchNorm outputs are never stored: no buffer for them.
        Assert.DoesNotContain("_y0", training);
        Assert.DoesNotContain("_y2", training);
        Assert.Contains("private float[] _z0 = ", training);
    }

    [Fact]
    public void MaxoutInTheGridConvsEpilogue_TheConvOutputHasNoBuffer()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using FusedOps;

            /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
            [FusedPipeline(3, 7, 9)]
            [Conv2d(4, 3, Padding = 1)]
            [Conv2d(8, 3, Padding = 1)]
            [Maxout(2)]
            public partial class Net
            {
            }
            """);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string training = run.Sources.Single(s => s.HintName == "Net.Training.g.cs").SourceText.ToString();

        // The conv's 8 channels are never written (only the maxima, to the Maxout group's _z2); the first conv's z is kept.
        Assert.Contains("_conv1.MaxoutForward(2, _piece2, _z0, ", training);
        Assert.Contains("private float[] _z0 = ", training);
        Assert.Contains("private float[] _z2 = ", training);
        Assert.DoesNotContain("_z1", training);
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty).Length) / part.Length;
}
