using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The planner's choice of the Winograd F(2 × 2, 3 × 3) route (<c>WinogradConv</c>) for inference, shown in the `// Pipeline:`
/// header and followed by the inference code: case C's layer (64 → 64, 3 × 3 on 56 × 56) takes it (F(4 × 4, 3 × 3) at 256 bits); a 64-channel 3 × 3 layer
/// with a residual Add, a dilated one, a 5 × 5 one, a strided one, one with rows under 32 pixels (14 × 14), a 32 → 64 one
/// (under 64 input channels: the lanes route) and a 64 → 32 one keep their other routes. Case B's layer (16 → 32 on 32 × 32, the
/// kernel's tiles-in-lanes block) takes it (F(4 × 4, 3 × 3) at 256 bits); 32 → 16, 16 → 48 and 16 → 8 keep their routes, 16 → 16 on
/// rows of 28 and 30 take the 256-bit-only route (and the dilated 16 → 16 neither). A
/// MaxPool2d(2) after a Winograd convolution keeps its own pass (the route has no pool epilogue); a MaxPool2d(3) there joins
/// the convolution, which then stays off the route.
/// </summary>
public sealed class WinogradRouteHeaderTests
{
    private const string Route = "(folded at 512 and 256 bits: Winograd F(2×2, 3×3), chosen by the planner)";

    // Case C's kind of layer (64 or more input channels on rows of 56 or more) and case B's (16 → 32): F(4 × 4, 3 × 3) at 256 bits
    // (ConvPlan.Winograd43Wide).
    private const string WideRoute = "(folded: Winograd F(2×2, 3×3) at 512 bits, F(4×4, 3×3) at 256, chosen by the planner)";

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
        string inference = RoutedInference(Source, WideRoute);

        // The code follows the header: only group 0 transforms its weights and calls WinogradConv, behind the width check; at 256
        // bits it transforms them for F(4 × 4, 3 × 3) instead and runs that first; F(2 × 2, 3 × 3)'s only where those were not made.
        Assert.Contains("_wg0 = fold && _wf0 is null ? WinogradConv.Packed(new WinogradShape(64, 64, 56, 56), _w0) : null;", inference);
        Assert.Contains("if ((_wg0 is not null || (_wf0 is not null && WinogradConv.Enabled256)) && WinogradConv.Enabled)", inference);
        Assert.Contains("WinogradConv.RunUnpadded(act, conv, 1, ref x, ref _wg0![0], ref _scale0[0], ref _shift0[0], ref y, ref sc, t0, t1);", inference);
        Assert.Equal(1, inference.Split("WinogradConv.Packed(").Length - 1);
        Assert.Equal(2, inference.Split("WinogradConv.RunUnpadded(").Length - 1);
        Assert.Contains("_wf0 = fold && WinogradConv.Enabled256 ? WinogradConv.Packed43(new WinogradShape(64, 64, 56, 56), _w0) : null;", inference);
        Assert.Contains("if (_wf0 is not null && WinogradConv.Enabled256)", inference);
        Assert.Contains("WinogradConv.RunUnpadded43x256(act, conv, 1, ref Unsafe.Add(ref x, s * 200704), ref _wf0![0], ref _scale0[0], ref _shift0[0],", inference);
        Assert.Contains("ref y, false, false, ref sf, f0, f1);", inference);
        Assert.Equal(1, inference.Split("WinogradConv.Packed43(").Length - 1);

        // Rows of 14 tiles run one tile row a pass: one sample's 14 tile rows are sliced singly.
        Assert.Contains("(int f0, int f1) = m == 1 && parts > 1 ? ParallelWork.Slice(14, parts, part) : (0, 14);", inference);
        Assert.DoesNotContain("SliceInPairs", inference);
    }

    private const string NarrowSource = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(16, 32, 32)]
        [Conv2d(32, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [Conv2d(16, 3, Padding = 1)]
        [Conv2d(48, 3, Padding = 1)]
        [Conv2d(16, 3, Padding = 1)]
        [Conv2d(8, 3, Padding = 1)]
        [Conv2d(16, 3, Padding = 1)]
        [Conv2d(16, 3, Padding = 3, Dilation = 3)]
        [Conv2d(16, 3, Padding = 0)]
        [Conv2d(16, 3, Padding = 0)]
        [Conv2d(16, 3, Padding = 1)]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void CaseBsConvolution_TakesTheWinogradRoute()
    {
        string inference = RoutedInference(NarrowSource, WideRoute);
        Assert.Contains("_wg0 = fold && _wf0 is null ? WinogradConv.Packed(new WinogradShape(16, 32, 32, 32), _w0) : null;", inference);
        Assert.Equal(1, inference.Split("? WinogradConv.Packed(").Length - 1);

        // At 256 bits case B's layer runs F(4 × 4, 3 × 3) on its own transform of the weights (made instead of F(2 × 2, 3 × 3)'s).
        Assert.Contains("_wf0 = fold && WinogradConv.Enabled256 ? WinogradConv.Packed43(new WinogradShape(16, 32, 32, 32), _w0) : null;", inference);
        Assert.Contains("if (_wf0 is not null && WinogradConv.Enabled256)", inference);

        // Its rows of 8 tiles run two tile rows a pass, so one sample split over threads is sliced in pairs of tile rows (so are
        // the 16 → 16 layers' on rows of 28 and 30); no split would leave a part's row alone.
        Assert.Contains("(int f0, int f1) = m == 1 && parts > 1 ? ParallelWork.SliceInPairs(8, parts, part) : (0, 8);", inference);
        Assert.Contains("(int t0, int t1) = ParallelWork.SliceInPairs(8, parts, part);", inference);
        Assert.DoesNotContain("ParallelWork.Slice(8, parts, part)", inference);

        // The three 16 → 16 layers on rows of 28 and 30 take the 256-bit-only route on F(4 × 4, 3 × 3) (WinogradConv.RunUnpadded43x256),
        // the dilated one not, and none of them on F(2 × 2, 3 × 3).
        Assert.Equal(3, inference.Split("fold && WinogradConv.Enabled256 ? WinogradConv.Packed43(new WinogradShape(16, 16, ").Length - 1);
        Assert.Equal(7, inference.Split("WinogradConv.RunUnpadded43x256(").Length - 1);
        Assert.Equal(0, inference.Split("fold && WinogradConv.Enabled256 ? WinogradConv.Packed(new WinogradShape(16, 16, ").Length - 1);
    }

    private const string PooledSource = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(16, 32, 32)]
        [Conv2d(32, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [MaxPool2d(2)]
        [Conv2d(32, 3, Padding = 1)]
        [BatchNorm]
        [ReLU]
        [MaxPool2d(2)]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void MaxPool2AfterAWinogradConvolution_KeepsItsPass_ElsewhereItJoinsTheConvolution()
    {
        // Case P (16 → 32 on 32 × 32 + BatchNorm + ReLU + MaxPool2d(2)): the convolution takes the Winograd route and the pool
        // its own vectorised pass; the second convolution (32 → 32 on 16 × 16, rows under 32) is not on Winograd, so its pool
        // still rides its pass.
        string inference = RoutedInference(PooledSource, WideRoute);
        Assert.Contains("_wg0 = fold && _wf0 is null ? WinogradConv.Packed(new WinogradShape(16, 32, 32, 32), _w0) : null;", inference);
        Assert.Single(inference.Split("Pooling.MaxForward(").Skip(1));
        Assert.Contains("new Pooling.Window(32, 32, 16, 16, 2, 2, 0)", inference);

        GeneratorRun run = GeneratorHarness.Run(PooledSource);
        string header = run.Sources.Single(s => s.HintName == "Net.g.cs").SourceText.ToString().Replace("\r\n", "\n");
        Assert.Single(header.Split("inference: Conv2d, epilogue: bias + BatchNorm scale/shift + ReLU + MaxPool2d(2)\n").Skip(1));

        // A MaxPool2d(3) after the same convolution joins it (its own pass would be scalar): no Winograd there.
        int first = PooledSource.IndexOf("[MaxPool2d(2)]", System.StringComparison.Ordinal);
        GeneratorRun three = GeneratorHarness.Run(PooledSource[..first] + "[MaxPool2d(3)]" + PooledSource[(first + 14)..]);
        Assert.False(three.WarningsAndErrors.Any(), GeneratorRun.Describe(three.WarningsAndErrors));
        string threeInference = three.Sources.Single(s => s.HintName == "Net.Inference.g.cs").SourceText.ToString();
        Assert.DoesNotContain("WinogradConv.Packed(", threeInference);
        Assert.DoesNotContain("Pooling.MaxForward(", threeInference);
    }

    // The generated inference source of a warning-free run of source whose only Winograd group is group 0.
    private static string RoutedInference(string source, string route = Route)
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.False(run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        return RouteHeader.AssertOnlyGroupZero(run, route);
    }
}
