using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The `// Pipeline:` header and the inference code of a Conv2d followed by a channel activation (run in its
/// epilogue) and of a Dropout between groups (no pass), and of the cases that keep their own passes.
/// </summary>
public sealed class ChannelEpilogueHeaderTests
{
    private const string Source = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(3, 7, 9)]
        [Conv2d(5, 3, Padding = 1)]
        [BatchNorm]
        [PReLU(NumParameters = 5)]
        [Dropout]
        [Conv2d(7, 3)]
        [BipolarReLU]
        [Conv2d(4, 1)]
        [ReLU]
        [RReLU]
        [Dropout]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void ChannelActivations_RideTheConvEpilogue_DropoutHasNoPass()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string surface = run.Sources.Single(s => s.HintName == "Net.g.cs").SourceText.ToString();
        string inference = run.Sources.Single(s => s.HintName == "Net.Inference.g.cs").SourceText.ToString();
        string kernels = run.Sources.Single(s => s.HintName == "Net.Kernels.g.cs").SourceText.ToString();

        Assert.Contains("inference: Conv2d, epilogue: bias + BatchNorm scale/shift + PReLU", surface);
        Assert.Contains("inference: Conv2d, epilogue: bias + BipolarReLU", surface);
        Assert.Contains("inference: identity, no pass (its output is its input's buffer)", surface);
        Assert.Equal(2, Count(surface, "inference: in group "));

        // The per-channel parameters after the shifts, and one operator per output channel row.
        Assert.Contains("Array.Copy(model.", inference);
        Assert.Contains("_shift3[7 + c] = 1f;", inference);
        Assert.Contains("new PReluOperator(Unsafe.Add(ref shift, 5 + channel))", kernels);
        Assert.Contains("new BipolarReluOperator(Unsafe.Add(ref shift, 7) != 0f)", kernels);

        // The conv with its own ReLU keeps RReLU as a pass; the last group's Dropout keeps its copy into the output.
        Assert.Contains("ActivationPass.Forward(new PReluOperator(RReluOperator.InferenceSlope(", inference);
        Assert.Contains("Norm.Copy(ref x, ref y", inference);
        Assert.DoesNotContain("_slopes", inference);
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty).Length) / part.Length;
}
