using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The planner's choice of the Winograd F(2 × 2, 3 × 3) route (<c>WinogradConv</c>) for inference, shown in the `// Pipeline:`
/// header and followed by the inference code: case C's layer (64 → 64, 3 × 3 on 56 × 56) takes it; a 64-channel 3 × 3 layer
/// with a residual Add, a dilated one, a 5 × 5 one, a strided one, one with rows under 32 pixels (14 × 14), a 32 → 64 one
/// (under 64 input channels: the lanes route) and a 64 → 32 one keep their other routes.
/// </summary>
public sealed class WinogradRouteHeaderTests
{
    private const string Route = "(folded at 512 bits: Winograd F(2×2, 3×3), chosen by the planner)";

    private const string Source = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(64, 56, 56)]
        [Conv2d(64, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [Save("a")]
        [Conv2d(64, 3, Padding = 1)]
        [Add("a")]
        [Conv2d(64, 3, Padding = 2, Dilation = 2)]
        [Conv2d(64, 5, Padding = 2)]
        [Conv2d(32, 3, Padding = 1)]
        [Conv2d(64, 3, Padding = 1)]
        [Conv2d(64, 3, Stride = 2, Padding = 1)]
        [Conv2d(64, 3, Stride = 2, Padding = 1)]
        [Conv2d(64, 3, Padding = 1)]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void OnlyCaseCsConvolution_TakesTheWinogradRoute()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.False(run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string inference = RouteHeader.AssertOnlyGroupZero(run, Route);

        // The code follows the header: only group 0 transforms its weights and calls WinogradConv, behind the width check.
        Assert.Contains("_wg0 = fold ? WinogradConv.Packed(new WinogradShape(64, 64, 56, 56), _w0) : null;", inference);
        Assert.Contains("if (_wg0 is not null && WinogradConv.Enabled)", inference);
        Assert.Contains("WinogradConv.RunUnpadded(act, conv, 1, ref x, ref _wg0![0], ref _scale0[0], ref _shift0[0], ref y, ref sc, t0, t1);", inference);
        Assert.Equal(1, inference.Split("WinogradConv.Packed(").Length - 1);
        Assert.Equal(2, inference.Split("WinogradConv.RunUnpadded(").Length - 1);
    }
}
