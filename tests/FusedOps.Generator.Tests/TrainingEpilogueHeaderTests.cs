using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The `// Pipeline:` header and the training code of grid Conv2d groups with no BatchNorm: the residual Add and activation, and
/// the next group's channel activation or Maxout, in the Conv2dTrainer's epilogue and its backward's prologue (their passes
/// gone), a channel activation after BatchNorm in the normalise and reduction passes.
/// </summary>
public sealed class TrainingEpilogueHeaderTests
{
    private const string Source = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(4, 9, 11)]
        [Save("a")]
        [Conv2d(4, 3, Padding = 1)]
        [Add("a")]
        [ReLU]
        [Conv2d(6, 3, Padding = 1)]
        [PReLU(NumParameters = 6)]
        [Conv2d(6, 3, Padding = 1)]
        [RReLU]
        [Conv2d(8, 3, Padding = 1)]
        [Maxout(2)]
        [Conv2d(4, 3, Padding = 1)]
        [BatchNorm]
        [BipolarReLU]
        [Conv2d(4, 3, Stride = 2)]
        [PReLU]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void GridConvEpilogues_TakeTheAddActivationAndNextGroup_TheirPassesAreGone()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string surface = run.Sources.Single(s => s.HintName == "Net.g.cs").SourceText.ToString();
        string training = run.Sources.Single(s => s.HintName == "Net.Training.g.cs").SourceText.ToString();

        Assert.Contains("training forward: Conv2d, epilogue: bias + add \"a\" + ReLU", surface);
        Assert.Contains("backward: Conv2d dW, dB, dX, dZ formed first: ReLU' + gradient to \"a\"", surface);
        Assert.Contains("training forward: Conv2d, epilogue: bias + PReLU", surface);
        Assert.Contains("backward: Conv2d dW, dB, dX, dZ formed first: PReLU'", surface);
        Assert.Contains("backward: Conv2d dW, dB, dX, dZ formed first: RReLU'", surface);
        Assert.Contains("training forward: Conv2d, epilogue: bias + Maxout(2)", surface);
        Assert.Contains("backward: Conv2d dW, dB, dX, dZ formed first: Maxout(2)'", surface);
        // With the PReLU after the strided conv (in that conv's per-sample loop: StridedConvEpilogueHeaderTests).
        Assert.Equal(5, Count(surface, "backward: in group "));

        Assert.Contains("_conv0.AddForward(new ReluOperator(), _in, L1Weight.Data, L1Bias.Data, _z0, _in, _u0, _y0, n);", training);
        Assert.Contains("_conv0.AddBackward(new ReluOperator(), _in, ref dz, _u0, _gradSave0,", training);
        Assert.Contains("_conv1.ChannelForward(Conv2dTrainer.ChannelActivation.PRelu, L5Weight.Data, _y0, L4Weight.Data, L4Bias.Data, _z1, _z2, n);", training);
        Assert.Contains("RReluOperator.FillSlopes(_slopes4.AsSpan(0, n * 594), 0.125f, 0.33333334f, _random!);", training);
        Assert.Contains("_conv5.MaxoutForward(2, _piece6, _z4, L8Weight.Data, L8Bias.Data, _z6, n);", training);
        Assert.DoesNotContain("ActivationPass.AddForward(", training);
        Assert.DoesNotContain("ChannelActivations.PReluForward(ref _z1", training);
        Assert.DoesNotContain("ChannelActivations.MaxoutForward(", training);

        // BipolarReLU after BatchNorm rides the normalise pass and BatchNorm's reduction pass.
        Assert.Contains("training forward: Conv2d, epilogue: bias + channel sums, then elementwise: normalise + BipolarReLU", surface);
        Assert.Contains("backward: elementwise: BipolarReLU' + BatchNorm reductions, then BatchNorm input gradient, then Conv2d dW, dB, dX", surface);
        Assert.Contains("TrainingPasses.ChannelAffineForward(Conv2dTrainer.ChannelActivation.BipolarRelu, Array.Empty<float>(), ref _z7[0], ref _z8[0], n, 4, 99,", training);
        Assert.Contains("TrainingPasses.ChannelBackwardReduce(Conv2dTrainer.ChannelActivation.BipolarRelu, Array.Empty<float>(), Span<float>.Empty, ref dy, ref zs,", training);
        Assert.DoesNotContain("ChannelActivations.BipolarForward(", training);
        Assert.Equal(5, Count(surface, "training forward: in group "));
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty).Length) / part.Length;
}
