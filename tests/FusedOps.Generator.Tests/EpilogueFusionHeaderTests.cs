using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The `// Pipeline:` header and the inference code of a Conv2d followed by a Maxout and of a Linear followed by a channel
/// activation (each run in the anchor's epilogue: the standalone pass is gone), and of the cases that keep their pass.
/// </summary>
public sealed class EpilogueFusionHeaderTests
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
        (string surface, string inference, string kernels) = Generate(Source, "Net");

        Assert.Contains("inference: Conv2d, epilogue: bias + BatchNorm scale/shift + Maxout(2)", surface);
        Assert.Contains("inference: Linear, epilogue: bias + Maxout(4)", surface);
        Assert.Equal(2, Count(surface, "inference: in group "));

        // Only the saved conv output keeps a Maxout pass in inference; the Linear's weights are put in Maxout order (one panel).
        Assert.Equal(1, Count(inference, "ChannelActivations.MaxoutForward("));
        Assert.Contains(", 8, 126, 4);", inference);
        Assert.Contains("LinearKernels.InferMaxout(default(IdentityOperator), ref x, m, _w4, _packed4, 16, 126, ref y, 2, _scale4, _shift4, 4);", inference);

        // Vector256 blocks of 3, 3, 2, 2 rows start at channels 0, 3, 6, 8: the one at 3 finishes the run of channels 2 and 3.
        Assert.Contains("L0_Infer256x3p1(act, ref Unsafe.Add(ref wg, 81), ref b, ref offsets, ref Unsafe.Add(ref dst, 1 * ld)", kernels);
        Assert.Contains("ConvHelpers.PoolMax(Vector256.LoadUnsafe(ref y), c0_0)", kernels);
        Assert.Contains("maxed = r % 2 == 0 ? value : ConvHelpers.PoolMax(maxed, value);", kernels);
    }

    private const string LinearSource = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(10)]
        [Linear(12)]
        [PReLU(NumParameters = 12)]
        [Linear(7)]
        [BipolarReLU]
        [Linear(5)]
        [ReLU]
        [RReLU]
        public partial class Mlp
        {
        }
        """;

    [Fact]
    public void ChannelActivations_RideTheLinearEpilogue_TheirPassIsGone()
    {
        (string surface, string inference, _) = Generate(LinearSource, "Mlp");

        Assert.Contains("inference: Linear, epilogue: bias + PReLU", surface);
        Assert.Contains("inference: Linear, epilogue: bias + BipolarReLU", surface);
        Assert.Equal(2, Count(surface, "inference: in group "));
        Assert.Contains("LinearKernels.InferColumns(default(IdentityOperator), ref x, m, _w0, _packed0, 12, 10, ref y, _scale0, _shift0, ColumnOperator.Slope,", inference);
        Assert.Contains("_shift0.AsSpan(12));", inference);
        Assert.Contains("_shift2, ColumnOperator.Bipolar,", inference);
        Assert.Contains("Array.Copy(model.", inference);
        Assert.DoesNotContain("ChannelActivations.PReluForward", inference);
        Assert.DoesNotContain("ChannelActivations.BipolarForward", inference);

        // The Linear with its own ReLU keeps RReLU as a pass.
        Assert.Contains("ActivationPass.Forward(new PReluOperator(RReluOperator.InferenceSlope(", inference);
    }

    /// <summary>The class's surface (with the header), inference and kernel files (empty without a Conv2d), after checking the run is clean.</summary>
    private static (string Surface, string Inference, string Kernels) Generate(string source, string name)
    {
        GeneratorRun run = GeneratorHarness.Run(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string File(string suffix) => run.Sources.Where(s => s.HintName == name + suffix).Select(s => s.SourceText.ToString()).SingleOrDefault() ?? string.Empty;
        return (File(".g.cs"), File(".Inference.g.cs"), File(".Kernels.g.cs"));
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty).Length) / part.Length;
}
