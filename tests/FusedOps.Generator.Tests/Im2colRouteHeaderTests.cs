using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The planner's choice between the generated direct convolution and im2col × PackedGemm for inference, shown in the
/// `// Pipeline:` header and followed by the inference code: 128 → 128 on 28 × 28 (1152 taps) takes the im2col route; the
/// same with a residual Add, a 64-channel one (as case C: the lanes route at 512 bits, see LanesRouteHeaderTests), a strided
/// one, a 16 → 32 (as case B) and a grouped one do not take it.
/// </summary>
public sealed class Im2colRouteHeaderTests
{
    private const string Route = "(im2col blocks of 32 pixels × PackedGemm, chosen by the planner)";

    private const string Source = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(128, 28, 28)]
        [Conv2d(128, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [Save("a")]
        [Conv2d(128, 3, Padding = 1)]
        [Add("a")]
        [ReLU]
        [Conv2d(64, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [Conv2d(16, 3, Stride = 2, Padding = 1)]
        [ReLU]
        [Conv2d(32, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [Conv2d(128, 3, Padding = 1, Groups = 2)]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void OnlyTheWideStrideOneConvolution_TakesTheIm2colRoute()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);
        // Only FOPS0015 (the 128-channel layers' training kernels loop over their register blocks).
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal("FOPS0015", d.Id));
        Assert.True(run.WarningsAndErrors.All(d => d.Id == "FOPS0015"), GeneratorRun.Describe(run.WarningsAndErrors));
        string inference = RouteHeader.AssertOnlyGroupZero(run, Route);

        // The code follows the header: group 0 runs on Im2colGemm, the others on their generated kernels.
        Assert.Contains("Im2colGemm.Run(act, conv, ref x, ref _w0[0], ref _scale0[0], ref _shift0[0], ref y, ref sc, b0, b1);", inference);
        Assert.Equal(2, inference.Split("Im2colGemm.Run(").Length - 1);
    }
}
