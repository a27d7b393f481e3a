using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The planner's choice of the output-channels-in-lanes route (<c>LanesConv</c>) for inference, shown in the `// Pipeline:`
/// header and followed by the inference code: a 32 → 64 layer on 56 × 56 (288 taps) takes it (case C's 64 → 64 takes the
/// Winograd route, WinogradRouteHeaderTests); a 64-channel layer with a residual Add, a 1 × 1 one (64 taps), strided ones, one
/// with rows under 16 pixels and a 32-channel one keep the direct kernel.
/// </summary>
public sealed class LanesRouteHeaderTests
{
    private const string Route = "(folded at 512 bits: channels in lanes, chosen by the planner)";

    private const string Source = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(32, 56, 56)]
        [Conv2d(64, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [Save("a")]
        [Conv2d(64, 3, Padding = 1)]
        [Add("a")]
        [ReLU]
        [Conv2d(64, 1)]
        [Conv2d(64, 3, Stride = 2, Padding = 1)]
        [ReLU]
        [Conv2d(64, 3, Stride = 2, Padding = 1)]
        [Conv2d(64, 3, Padding = 1)]
        [Conv2d(32, 3, Padding = 1)]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void OnlyThe32To64Convolution_TakesTheLanesRoute()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.False(run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string inference = RouteHeader.AssertOnlyGroupZero(run, Route);

        // The code follows the header: only group 0 packs its weights and calls LanesConv, behind the width check.
        Assert.Contains("_wl0 = fold ? LanesConv.Packed(new LanesShape(32, 56, 56, 64, 3, 1, 1), _w0) : null;", inference);
        Assert.Contains("if (_wl0 is not null && LanesConv.Enabled)", inference);
        Assert.Contains("LanesConv.Run(act, conv, ref x, ref _wl0![0], ref _scale0[0], ref _shift0[0], ref y, ref sc, r0, r1);", inference);
        Assert.Equal(1, inference.Split("LanesConv.Packed(").Length - 1);
        Assert.Equal(2, inference.Split("LanesConv.Run(").Length - 1);
    }
}
