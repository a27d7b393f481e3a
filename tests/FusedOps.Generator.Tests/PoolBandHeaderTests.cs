using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// Which pools join the Conv2d group before them in inference: the `// Pipeline:` header and the inference and kernel code
/// of non-overlapping pools (in registers for the 2×2 one, over bands otherwise) and of an overlapping one, which keeps its pass.
/// </summary>
public sealed class PoolBandHeaderTests
{
    private const string Source = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(3, 20, 21)]
        [Conv2d(8, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [MaxPool2d(2)]
        [Conv2d(8, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [MaxPool2d(3)]
        [Conv2d(6, 1)]
        [AvgPool2d(2, Stride = 3, Padding = 1)]
        [Conv2d(4, 1)]
        [MaxPool2d(2, Stride = 1)]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void NonOverlappingPools_RideTheConvPass_OverlappingOneKeepsItsPass()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string File(string suffix) => run.Sources.Single(s => s.HintName == "Net" + suffix).SourceText.ToString();
        string surface = File(".g.cs"), inference = File(".Inference.g.cs"), kernels = File(".Kernels.g.cs");

        // 20×21 -> 10×10 in registers; 10×10 -> 3×3 over bands of 3 rows; 3×3 -> 2×2 (stride 3, padding 1) over bands of 2 rows.
        string header = surface.Replace("\r\n", "\n");
        Assert.Contains("inference: Conv2d, epilogue: bias + BatchNorm scale/shift + ReLU + MaxPool2d(2)\n", header);
        Assert.Contains("inference: Conv2d, epilogue: bias + BatchNorm scale/shift + ReLU + MaxPool2d(3) per band of 3 output rows\n", header);
        Assert.Contains("inference: Conv2d, epilogue: bias + AvgPool2d(2, Stride = 3, Padding = 1) per band of 2 output rows\n", header);
        Assert.Equal(3, header.Split("inference: in group ").Length - 1);

        // The overlapping MaxPool2d(2, Stride = 1) is the only pool pass left in inference.
        Assert.Single(inference.Split("Pooling.MaxForward(").Skip(1));
        Assert.Contains("new Pooling.Window(2, 2, 1, 1, 2, 1, 0)", inference);
        Assert.DoesNotContain("Pooling.AvgForward(", inference);

        // The band kernels: the pool's geometry over the conv output, and the band pooled once its panels are computed.
        Assert.Contains("s_l4PoolWindow = new(10, 10, 3, 3, 3, 3, 0);", kernels);
        Assert.Contains("ConvHelpers.PoolBand(ref band, 8, ld, 12, po, ref Unsafe.Add(ref y, (c0 * 9) + (po * 3)), 9, s_l4PoolWindow, true);", kernels);
        Assert.Contains("s_l8PoolWindow = new(3, 3, 2, 2, 2, 3, 1);", kernels);
        Assert.Contains("L0_Pool512x", kernels);
    }
}
