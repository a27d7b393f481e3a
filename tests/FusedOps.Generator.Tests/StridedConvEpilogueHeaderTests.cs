using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The `// Pipeline:` header, buffers and training code of Conv2d groups off the grid (grouped, strided) with no
/// BatchNorm: the residual Add and activation, and the next group's PReLU or Maxout, ride the per-sample conv loop and dZ is
/// formed per sample before the conv backward, so each group takes one pass forward and one backward, and neither the whole
/// batch's dU (<c>_gradU</c>) nor a Maxout conv's z is stored.
/// </summary>
public sealed class StridedConvEpilogueHeaderTests
{
    private const string Source = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(4, 9, 11)]
        [Save("a")]
        [Conv2d(4, 3, Dilation = 2, Padding = 2, Groups = 2)]
        [Add("a")]
        [GELU]
        [Conv2d(6, 3, Stride = 2, Padding = 1)]
        [PReLU(NumParameters = 6)]
        [Conv2d(8, 3, Groups = 2, Padding = 1)]
        [Maxout(2)]
        [Conv2d(4, 3, Stride = 2)]
        [ReLU]
        public partial class Net
        {
        }
        """;

    [Fact]
    public void OffGridConvs_OnePassEachWay_NoBatchGradientOrMaxoutZ()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string surface = run.Sources.Single(s => s.HintName == "Net.g.cs").SourceText.ToString();
        string training = run.Sources.Single(s => s.HintName == "Net.Training.g.cs").SourceText.ToString();

        Assert.Contains("training forward: Conv2d, epilogue: bias + add \"a\" + GELU", surface);
        Assert.Contains("backward: Conv2d dW, dB, dX, dZ formed first: GELU' + gradient to \"a\"", surface);
        Assert.Contains("training forward: Conv2d, epilogue: bias + PReLU", surface);
        Assert.Contains("backward: Conv2d dW, dB, dX, dZ formed first: PReLU'", surface);
        Assert.Contains("training forward: Conv2d, epilogue: bias + Maxout(2)", surface);
        Assert.Contains("backward: Conv2d dW, dB, dX, dZ formed first: Maxout(2)'", surface);
        Assert.Contains("training forward: Conv2d, epilogue: bias + ReLU", surface);
        Assert.Contains("backward: Conv2d dW, dB, dX, dZ formed first: ReLU'", surface);
        Assert.Equal(2, Count(surface, "training forward: in group "));
        Assert.Equal(2, Count(surface, "backward: in group "));

        // Layer by layer: 4 convs, Add, GELU, PReLU, Maxout, ReLU; fused: one pass per conv group each way.
        Assert.Contains("// Passes: inference 4, training forward 4, backward 4; layer by layer would take 9 / 9 / 9.", surface);

        // Training buffers: u kept for GELU′, z for PReLU′ and ReLU′, but the Maxout conv's z lives per sample only and dZ is per sample.
        Assert.Contains("//   _u0 ", surface);
        Assert.Contains("//   _z1 ", surface);
        Assert.Contains("//   _z5 ", surface);
        Assert.DoesNotContain("//   _z3 ", surface);
        Assert.DoesNotContain("_gradU", surface);
        Assert.DoesNotContain("_gradU", training);
        Assert.Contains("private const int SampleLength = 396;", training);

        // The stages' own kernels, per sample, in the conv's loop; no pass over the batch.
        Assert.Contains("ActivationPass.AddForward(act, ref zs, ref _in[s * 396], ref _u0[s * 396], ref _y0[s * 396], 396);", training);
        Assert.Contains("ActivationPass.Backward(act, ref dys, ref _u0[s * 396], ref dzs, 396);", training);
        Assert.Contains("ConvHelpers.Add(ref dzs, ref _gradSave0[s * 396], 396);", training);
        Assert.Contains("ChannelActivations.PReluBackward(ref dys, ref _z1[s * 180], ref dzs, true, 1, 6, 30, L5Weight.Data, slopeGrad);", training);
        Assert.Contains("PartSums.AddTo(_partSlope1, parts, L5Weight.Grad);", training);
        Assert.Contains("ChannelActivations.MaxoutForward(ref zs, ref _z4[s * 120], ref _piece4[s * 120], true, 1, 4, 2, 30);", training);
        Assert.DoesNotContain("TrainingPasses.Backward(", training);
        Assert.DoesNotContain("ActivationPass.Forward(act, ref _z", training);
    }

    private const string NormSource = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(3, 9, 11)]
        [Conv2d(6, 3, Stride = 2, Padding = 1, Bias = false)]
        [BatchNorm]
        [GELU]
        [Conv2d(4, 3, Groups = 2, Padding = 1, Bias = false)]
        [BatchNorm]
        [PReLU(NumParameters = 4)]
        public partial class NormNet
        {
        }
        """;

    [Fact]
    public void OffGridConvsWithBatchNorm_InputGradientFormedPerSampleInTheConvBackward()
    {
        GeneratorRun run = GeneratorHarness.Run(NormSource);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string surface = run.Sources.Single(s => s.HintName == "NormNet.g.cs").SourceText.ToString();
        string training = run.Sources.Single(s => s.HintName == "NormNet.Training.g.cs").SourceText.ToString();

        Assert.Contains("training forward: Conv2d, epilogue: channel sums, then elementwise: normalise + GELU", surface);
        Assert.Contains("backward: elementwise: GELU' + BatchNorm reductions, then Conv2d dW, dB, dX, dZ formed first: BatchNorm input gradient", surface);
        Assert.Contains("training forward: Conv2d, epilogue: channel sums, then elementwise: normalise + PReLU", surface);
        Assert.Contains("backward: elementwise: PReLU' + BatchNorm reductions, then Conv2d dW, dB, dX, dZ formed first: BatchNorm input gradient", surface);
        Assert.Contains("// Passes: inference 2, training forward 4, backward 4; layer by layer would take 6 / 8 / 8.", surface);

        // BatchNorm's input gradient per sample into the one-sample buffer; no pass of its own over the batch.
        Assert.Contains("Norm.BackwardApply(ref _gradU[s * 180], ref _z0[s * 180], 1, 6, 30, L1Weight.Data, _mean0, _invStd0, _sum0, _sumSq0,", training);
        Assert.DoesNotContain("TrainingPasses.BackwardApply(", training);
        Assert.Contains("private const int SampleLength = 180;", training);
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty).Length) / part.Length;
}
