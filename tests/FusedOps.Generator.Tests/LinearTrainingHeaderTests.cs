using System.Linq;
using Xunit;

namespace FusedOps.Generator.Tests;

/// <summary>
/// The `// Pipeline:` header and the training code of Linear groups whose activation, or the next layer's PReLU / BipolarReLU, runs
/// in the forward GEMM's epilogue and whose derivative forms dZ before the backward GEMMs; and the cases that keep their passes.
/// </summary>
public sealed class LinearTrainingHeaderTests
{
    private const string Source = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(10)]
        [Linear(12)]
        [GELU]
        [Linear(9)]
        [PReLU(NumParameters = 9)]
        [Linear(7, Bias = false)]
        [PReLU]
        [Linear(6)]
        [BipolarReLU]
        [Save("s")]
        [Linear(6)]
        [Add("s")]
        [ReLU]
        [Linear(5)]
        [RReLU]
        [Linear(8)]
        [Maxout(4)]
        public partial class Mlp
        {
        }
        """;

    [Fact]
    public void LinearTraining_ActivationAndChannelActivations_RideTheGemmEpilogue()
    {
        GeneratorRun run = GeneratorHarness.Run(Source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(!run.WarningsAndErrors.Any(), GeneratorRun.Describe(run.WarningsAndErrors));
        string surface = run.Sources.Single(s => s.HintName == "Mlp.g.cs").SourceText.ToString();
        string training = run.Sources.Single(s => s.HintName == "Mlp.Training.g.cs").SourceText.ToString();

        Assert.Contains("training forward: Linear, epilogue: bias + GELU", surface);
        Assert.Contains("backward: Linear dW, dB, dX, dZ formed first: GELU'", surface);
        Assert.Contains("training forward: Linear, epilogue: bias + PReLU", surface);
        Assert.Contains("training forward: Linear, epilogue: PReLU", surface);
        Assert.Contains("training forward: Linear, epilogue: bias + BipolarReLU", surface);
        Assert.Contains("backward: Linear dW, dB, dX, dZ formed first: BipolarReLU'", surface);

        // The four channel activation groups and the Maxout have no training pass; RReLU draws its slopes
        // before the GEMM; the Maxout's runs are reduced in the epilogue and its gradient routed to the winners before the GEMMs.
        Assert.Equal(5, Count(surface, "training forward: in group "));
        Assert.Equal(5, Count(surface, "backward: in group "));
        Assert.Contains("training forward: Linear, epilogue: bias + Maxout(4)", surface);
        Assert.Contains("backward: Linear dW, dB, dX, dZ formed first: Maxout(4)'", surface);
        Assert.Contains("LinearKernels.TrainMaxout(ref _z9[0], n, L14Weight.Data, 8, 5, ref _z11[0], _piece11.AsSpan(0, n * 2), L14Bias.Data, 4);", training);
        Assert.Contains("LinearKernels.MaxoutGradient(ref dy, _piece11.AsSpan(0, n * 2), ref _gradU[0], n, 8, 4, L14Bias.Grad);", training);
        Assert.DoesNotContain("ChannelActivations.MaxoutForward(", training);
        Assert.DoesNotContain("_z10", training); // the Maxout Linear's z is never stored: only the maxima and winners
        Assert.DoesNotContain("_z10 ", surface);

        // The residual add and ReLU ride the GEMMs: u kept and ReLU(u) stored from the tile; dU at u to the saved tensor's gradient
        // with dB, before the GEMMs. Inference keeps its elementwise add.
        Assert.Contains("inference: Linear, epilogue: bias, then elementwise: add \"s\" + ReLU", surface);
        Assert.Contains("training forward: Linear, epilogue: bias + add \"s\" + ReLU\n", surface.Replace("\r\n", "\n"));
        Assert.Contains("backward: Linear dW, dB, dX, dZ formed first: ReLU' + gradient to \"s\"\n", surface.Replace("\r\n", "\n"));
        Assert.DoesNotContain("ActivationPass.AddForward(", training);
        Assert.Contains("LinearKernels.TrainAddForward(new ReluOperator(), ref _z6[0], n, L9Weight.Data, 6, 6, _z6.AsSpan(0, n * 6),", training);
        Assert.Contains("ref _u7[0], ref _y7[0], L9Bias.Data);", training);
        Assert.DoesNotContain("_z7", training); // the GEMM's z is never stored: u is
        Assert.DoesNotContain("_z7 ", surface);
        Assert.Contains("LinearKernels.AddActivationGradient(new ReluOperator(), ref dy, ref _u7[0], ref _gradU[0], n, 6, _gradSave0.AsSpan(0, n * 6),", training);
        Assert.DoesNotContain("ChannelActivations.RReluForward(", training);
        Assert.Contains("RReluOperator.FillSlopes(_slopes9.AsSpan(0, n * 5), 0.125f, 0.33333334f, _random!);", training);
        Assert.Equal(2, Count(training, "ColumnOperator.RandomSlope, _slopes9.AsSpan(0, n * 5)"));
        Assert.DoesNotContain("ChannelActivations.PReluForward", training);
        Assert.DoesNotContain("ChannelActivations.BipolarForward", training);

        // The calls: z kept and the activated output stored from the tile; dZ formed with the bias and slope gradients.
        Assert.Contains("LinearKernels.TrainForward(new GeluOperator(", training);
        // (Long calls are wrapped after an argument: each line is checked on its own.)
        Assert.Contains("LinearKernels.TrainForward(default(IdentityOperator), ref _y0[0], n, L2Weight.Data, 9, 12, ref _z1[0], ref _z2[0], L2Bias.Data,", training);
        Assert.Contains("ColumnOperator.Slope, L3Weight.Data);", training);
        Assert.Contains("LinearKernels.TrainForward(new PReluOperator(L5Weight.Data[0]), ref _z2[0], n, L4Weight.Data, 7, 9, ref _z3[0], ref _z4[0],", training);
        Assert.Contains("LinearKernels.ColumnGradient(ref dy, ref _z1[0], ref _gradU[0], n, 9, L2Bias.Grad, ColumnOperator.Slope, L3Weight.Data, L3Weight.Grad);", training);
        Assert.Contains("LinearKernels.ColumnGradient(ref dy, ref _z5[0], ref _gradU[0], n, 6, L6Bias.Grad, ColumnOperator.Bipolar, ReadOnlySpan<float>.Empty,", training);
        Assert.Contains("LinearKernels.ActivationGradient(new GeluOperator(", training);
    }

    private const string BatchNormSource = """
        using FusedOps;

        /// <summary>A documented pipeline, so the whole compilation is warning-free.</summary>
        [FusedPipeline(10)]
        [Linear(9, Bias = false)]
        [BatchNorm]
        [PReLU(NumParameters = 9)]
        [Linear(7, Bias = false)]
        [BatchNorm]
        [RReLU]
        [Linear(6, Bias = false)]
        [BatchNorm]
        [BipolarReLU]
        [Linear(5, Bias = false)]
        [BatchNorm]
        [Identity]
        [PReLU]
        [Linear(4)]
        public partial class BnMlp
        {
        }
        """;

    [Fact]
    public void LinearTraining_ChannelActivationAfterBatchNorm_RidesTheNormalisePass()
    {
        GeneratorRun run = GeneratorHarness.Run(BatchNormSource);
        // Only FOPS0013: BatchNorm after a Linear trains with batches of 2 or more.
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal("FOPS0013", d.Id));
        string surface = run.Sources.Single(s => s.HintName == "BnMlp.g.cs").SourceText.ToString();
        string training = run.Sources.Single(s => s.HintName == "BnMlp.Training.g.cs").SourceText.ToString();

        // PReLU, RReLU and BipolarReLU: in the normalise pass forward, the derivative before BatchNorm's reductions backward.
        foreach (string act in new[] { "PReLU", "RReLU", "BipolarReLU" })
        {
            Assert.Contains($"training forward: Linear, then channel sums, then elementwise: normalise + {act}\n", surface.Replace("\r", string.Empty));
        }

        Assert.Contains("backward: elementwise: PReLU' + BatchNorm reductions, then BatchNorm input gradient, then Linear dW, dB, dX", surface);
        Assert.Contains("backward: elementwise: BipolarReLU' + BatchNorm reductions", surface);
        Assert.Equal(3, Count(surface, "training forward: in group "));
        Assert.Equal(3, Count(surface, "backward: in group "));
        Assert.Contains("TrainingPasses.ChannelAffineForward(Conv2dTrainer.ChannelActivation.PRelu, L2Weight.Data, ref _z0[0], ref _z1[0], n, 9, 1,", training);
        Assert.Contains("TrainingPasses.ChannelBackwardReduce(Conv2dTrainer.ChannelActivation.PRelu, L2Weight.Data, L2Weight.Grad, ref dy, ref zs,", training);
        Assert.Contains("RReluOperator.FillSlopes(_slopes3.AsSpan(0, n * 7)", training);
        Assert.Contains("TrainingPasses.ChannelAffineForward(Conv2dTrainer.ChannelActivation.BipolarRelu, Array.Empty<float>(),", training);
        Assert.DoesNotContain("ChannelActivations.RReluForward(", training);
        Assert.DoesNotContain("ChannelActivations.BipolarForward", training);

        // The group with an activation of its own (Identity) keeps the PReLU's passes.
        Assert.Contains("training forward: PReLU (1 pass)", surface);
        Assert.Equal(1, Count(training, "ChannelActivations.PReluForward"));
    }

    private static int Count(string text, string part) => (text.Length - text.Replace(part, string.Empty).Length) / part.Length;
}
