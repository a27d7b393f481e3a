using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The `// Pipeline:` header and the inference code of a Conv2d followed by a Maxout (run in its epilogue: the standalone
/// Maxout pass is gone), and of the cases that keep the Maxout pass.
/// </summary>
public sealed class MaxoutFusionHeaderTests
{
    private const string Source = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(3, 7, 9)]
        [Conv2d(10, 3, Padding = 1)]
        [BatchNorm]
        [Maxout(2)]
        [Conv2d(6, 1)]
        [Save("s")]
        [Maxout(3)]
        [Flatten]
        [Linear(8)]
        [Maxout(4)]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void Maxout_RidesTheConvEpilogue_ItsPassIsGone()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string surface = run.Sources.Single(s => s.HintName == "Net.g.cs").SourceText.ToString();
        string inference = run.Sources.Single(s => s.HintName == "Net.Inference.g.cs").SourceText.ToString();
        string kernels = run.Sources.Single(s => s.HintName == "Net.Kernels.g.cs").SourceText.ToString();

        Assert.Contains("inference: Conv2d, epilogue: bias + BatchNorm scale/shift + Maxout(2)", surface);
        Assert.Equal(1, Count(surface, "inference: in group "));

        // Only the saved conv output and the Linear keep a Maxout pass in inference.
        Assert.Equal(2, Count(inference, "ChannelActivations.MaxoutForward("));

        // Vector256 blocks of 3, 3, 2, 2 rows start at channels 0, 3, 6, 8: the one at 3 finishes the run of channels 2 and 3.
        Assert.Contains("L0_Infer256x3p1(act, ref Unsafe.Add(ref wg, 81), ref b, ref offsets, ref Unsafe.Add(ref dst, 1 * ld)", kernels);
        Assert.Contains("ConvHelpers.PoolMax(Vector256.LoadUnsafe(ref y), c0_0)", kernels);
        Assert.Contains("maxed = r % 2 == 0 ? value : ConvHelpers.PoolMax(maxed, value);", kernels);
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty).Length) / part.Length;
}
